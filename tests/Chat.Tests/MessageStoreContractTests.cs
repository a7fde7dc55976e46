using Chat.Api.Data;
using Chat.Api.Data.Mongo;
using Chat.Api.Domain;
using Messenger.Testing;
using Microsoft.EntityFrameworkCore;
using MongoDB.Driver;
using Npgsql;

namespace Chat.Tests;

/// <summary>
/// What every message store must do, run against each engine: PostgreSQL always, MongoDB when
/// MESSENGER_TEST_MONGODB names a server (else each test is reported as skipped).
/// </summary>
public abstract class MessageStoreContractTests(TestServers servers) : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private readonly Guid alice = Guid.CreateVersion7();
    private readonly Guid bob = Guid.CreateVersion7();
    private NpgsqlDataSource? dataSource;

    protected static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>The store under test on a fresh database; Chat's PostgreSQL database is <paramref name="postgres"/>.</summary>
    protected abstract Task<IMessageStore> CreateStoreAsync(NpgsqlDataSource postgres);

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public virtual async ValueTask DisposeAsync()
    {
        if (dataSource is not null)
        {
            await dataSource.DisposeAsync();
        }
    }

    private async Task<(IMessageStore Store, ConversationSnapshot Conversation)> StartAsync()
    {
        var connectionString = await servers.Postgres.CreateDatabaseAsync("chatstore", Cancellation);
        await using (var db = new ChatDbContext(new DbContextOptionsBuilder<ChatDbContext>().UseNpgsql(connectionString).UseSnakeCaseNamingConvention().Options))
        {
            await db.Database.MigrateAsync(Cancellation);
        }

        dataSource = NpgsqlDataSource.Create(connectionString);
        var store = await CreateStoreAsync(dataSource);
        return (store, await NewConversationAsync());
    }

    private async Task<ConversationSnapshot> NewConversationAsync()
    {
        var id = Guid.CreateVersion7();
        await using var batch = dataSource!.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "INSERT INTO conversations (id, type, created_by, created_at, last_seq, last_activity_at) VALUES ($1, 'group', $2, $3, 0, $3)")
        {
            Parameters = { new() { Value = id }, new() { Value = alice }, new() { Value = Now } },
        });
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "INSERT INTO conversation_members (conversation_id, user_id, role, joined_at, last_read_seq) VALUES ($1, $2, 'owner', $3, 0), ($1, $4, 'member', $3, 0)")
        {
            Parameters = { new() { Value = id }, new() { Value = alice }, new() { Value = Now }, new() { Value = bob } },
        });
        await batch.ExecuteNonQueryAsync(Cancellation);
        return new ConversationSnapshot(id, ConversationTypes.Group, "Store test", Now, [alice, bob], []);
    }

    private NewMessage Text(ConversationSnapshot conversation, string clientMessageId, string text = "hi", Guid? sender = null, Guid? replyTo = null) =>
        new(MessageIds.New(), conversation, sender ?? alice, "alice", clientMessageId, new MessageContent("text", text), replyTo);

    private static async Task<List<ChatMessage>> AppendAsync(IMessageStore store, params NewMessage[] messages) =>
        [.. (await store.AppendAsync(messages, Now, Cancellation)).Select(o => o.Message!)];

    [Fact]
    public async Task Seqs_follow_batch_order_per_conversation_and_continue_across_batches()
    {
        var (store, one) = await StartAsync();
        var two = await NewConversationAsync();

        var first = await AppendAsync(store, Text(one, "a"), Text(two, "b"), Text(one, "c"));
        var second = await AppendAsync(store, Text(two, "d"), Text(one, "e"));

        Assert.Equal([1L, 1, 2], first.Select(m => m.Seq));
        Assert.Equal([2L, 3], second.Select(m => m.Seq));
        Assert.Equal(Now, first[0].SentAt);
    }

    [Fact]
    public async Task A_clientMessageId_is_stored_once_per_sender_and_conversation()
    {
        var (store, conversation) = await StartAsync();

        var outcomes = await store.AppendAsync([Text(conversation, "same", "one"), Text(conversation, "same", "two"), Text(conversation, "same", "bob's", bob)], Now, Cancellation);
        var later = await store.AppendAsync([Text(conversation, "same", "three")], Now.AddSeconds(1), Cancellation);

        Assert.True(outcomes[0].IsNew);
        Assert.False(outcomes[1].IsNew);
        Assert.Equal(outcomes[0].Message!.MessageId, outcomes[1].Message!.MessageId);
        Assert.True(outcomes[2].IsNew);
        Assert.Equal(2, outcomes[2].Message!.Seq);
        Assert.False(later[0].IsNew);
        Assert.Equal(outcomes[0].Message, later[0].Message);
        var page = await store.GetPageAsync(conversation.Id, null, null, 10, Cancellation);
        Assert.Equal(["bob's", "one"], page.Items.Select(m => m.Content!.Text));
    }

    [Fact]
    public async Task Concurrent_batches_into_one_conversation_leave_no_gap()
    {
        var (store, conversation) = await StartAsync();

        var batches = await Task.WhenAll(Enumerable.Range(0, 8).Select(b =>
            store.AppendAsync([.. Enumerable.Range(0, 25).Select(i => Text(conversation, $"{b}-{i}"))], Now, Cancellation)));

        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), batches.SelectMany(b => b).Select(o => o.Message!.Seq).Order());
    }

    [Fact]
    public async Task A_reply_must_point_into_the_same_conversation()
    {
        var (store, conversation) = await StartAsync();
        var other = await NewConversationAsync();
        var elsewhere = (await AppendAsync(store, Text(other, "x")))[0];
        var here = (await AppendAsync(store, Text(conversation, "y")))[0];

        var outcomes = await store.AppendAsync([Text(conversation, "bad", replyTo: elsewhere.MessageId), Text(conversation, "good", replyTo: here.MessageId)], Now, Cancellation);

        Assert.Equal("reply_not_found", outcomes[0].ErrorCode);
        Assert.Equal(here.MessageId, outcomes[1].Message!.ReplyTo);
        Assert.Equal(2, outcomes[1].Message!.Seq);
    }

    [Fact]
    public async Task Pages_and_catch_up_read_by_seq()
    {
        var (store, conversation) = await StartAsync();
        await AppendAsync(store, [.. Enumerable.Range(1, 9).Select(i => Text(conversation, "m" + i, "text " + i))]);

        var latest = await store.GetPageAsync(conversation.Id, null, null, 4, Cancellation);
        var older = await store.GetPageAsync(conversation.Id, 6, null, 10, Cancellation);
        var forward = await store.GetPageAsync(conversation.Id, 9, 2, 3, Cancellation);
        var after = await store.GetAfterAsync(conversation.Id, 6, 10, Cancellation);
        var bySeq = await store.GetBySeqAsync([(conversation.Id, 3), (conversation.Id, 42)], Cancellation);

        Assert.Equal([9L, 8, 7, 6], latest.Items.Select(m => m.Seq));
        Assert.True(latest.HasMore);
        Assert.Equal([5L, 4, 3, 2, 1], older.Items.Select(m => m.Seq));
        Assert.False(older.HasMore);
        Assert.Equal([5L, 4, 3], forward.Items.Select(m => m.Seq));
        Assert.True(forward.HasMore);
        Assert.Equal([7L, 8, 9], after.Items.Select(m => m.Seq));
        Assert.False(after.HasMore);
        Assert.Equal("text 3", Assert.Single(bySeq).Content!.Text);
    }

    [Fact]
    public async Task Only_the_author_edits_or_deletes_and_a_deleted_message_is_a_tombstone()
    {
        var (store, conversation) = await StartAsync();
        var message = (await AppendAsync(store, Text(conversation, "e", "draft")))[0];

        var byBob = await store.EditAsync(conversation.Id, message.MessageId, bob, new MessageContent("text", "hijack"), Now, Cancellation);
        var kindChange = await store.EditAsync(conversation.Id, message.MessageId, alice, new MessageContent("file", Url: "https://x/y", Name: "y", Size: 1, MimeType: "a/b"), Now, Cancellation);
        var edit = await store.EditAsync(conversation.Id, message.MessageId, alice, new MessageContent("text", "final"), Now.AddMinutes(1), Cancellation);
        var missing = await store.DeleteAsync(conversation.Id, Guid.NewGuid(), alice, Now, Cancellation);
        var delete = await store.DeleteAsync(conversation.Id, message.MessageId, alice, Now.AddMinutes(2), Cancellation);
        var again = await store.DeleteAsync(conversation.Id, message.MessageId, alice, Now.AddMinutes(3), Cancellation);
        var editDeleted = await store.EditAsync(conversation.Id, message.MessageId, alice, new MessageContent("text", "zombie"), Now, Cancellation);

        Assert.Equal(MessageChangeStatus.NotAuthor, byBob.Status);
        Assert.Equal(MessageChangeStatus.Unchanged, kindChange.Status);
        Assert.Equal(("final", Now.AddMinutes(1)), (edit.Message!.Content!.Text, edit.Message.EditedAt));
        Assert.Equal(MessageChangeStatus.NotFound, missing.Status);
        Assert.Equal(MessageChangeStatus.Changed, delete.Status);
        Assert.Equal(MessageChangeStatus.AlreadyDeleted, again.Status);
        Assert.Equal(MessageChangeStatus.AlreadyDeleted, editDeleted.Status);
        var stored = await store.GetAsync(conversation.Id, message.MessageId, Cancellation);
        Assert.True(stored!.Deleted);
        Assert.Null(stored.Content);
        Assert.Equal(1, stored.Seq);
    }

    [Fact]
    public async Task Reactions_are_one_per_user_and_emoji()
    {
        var (store, conversation) = await StartAsync();
        var message = (await AppendAsync(store, Text(conversation, "r")))[0];

        var first = await store.SetReactionAsync(conversation.Id, message.MessageId, bob, "👍", true, Cancellation);
        var repeat = await store.SetReactionAsync(conversation.Id, message.MessageId, bob, "👍", true, Cancellation);
        await store.SetReactionAsync(conversation.Id, message.MessageId, alice, "👍", true, Cancellation);
        var removed = await store.SetReactionAsync(conversation.Id, message.MessageId, bob, "👍", false, Cancellation);
        var removeAgain = await store.SetReactionAsync(conversation.Id, message.MessageId, bob, "👍", false, Cancellation);

        Assert.Equal(MessageChangeStatus.Changed, first.Status);
        Assert.Equal(MessageChangeStatus.Unchanged, repeat.Status);
        Assert.Equal(new[] { bob }, Assert.Single(repeat.Message!.Reactions!).UserIds);
        Assert.Equal(MessageChangeStatus.Changed, removed.Status);
        Assert.Equal(new[] { alice }, Assert.Single(removed.Message!.Reactions!).UserIds);
        Assert.Equal(MessageChangeStatus.Unchanged, removeAgain.Status);
    }

    [Fact]
    public async Task Search_finds_words_in_the_given_conversations_newest_first()
    {
        var (store, conversation) = await StartAsync();
        var other = await NewConversationAsync();
        await AppendAsync(store, Text(conversation, "1", "apples and pears"), Text(conversation, "2", "only pears"), Text(other, "3", "apples elsewhere"), Text(conversation, "4", "more apples"));

        var hits = await store.SearchAsync([conversation.Id], "apples", null, 10, Cancellation);
        var paged = await store.SearchAsync([conversation.Id], "apples", null, 1, Cancellation);
        var rest = await store.SearchAsync([conversation.Id], "apples", paged.Items[0].MessageId, 1, Cancellation);

        Assert.Equal(["more apples", "apples and pears"], hits.Items.Select(m => m.Content!.Text));
        Assert.True(paged.HasMore);
        Assert.Equal("apples and pears", Assert.Single(rest.Items).Content!.Text);
    }

    [Fact]
    public async Task Messages_stay_searchable_before_during_and_after_search_index_upkeep()
    {
        var (store, conversation) = await StartAsync();
        await AppendAsync(store, Text(conversation, "u1", "kiwi one"), Text(conversation, "u2", "kiwi two"));

        var upkeep = store.MaintainSearchIndexAsync(Cancellation);
        await AppendAsync(store, Text(conversation, "u3", "kiwi three"));
        await upkeep;
        await store.MaintainSearchIndexAsync(Cancellation);
        await AppendAsync(store, Text(conversation, "u4", "kiwi four"));

        var hits = await store.SearchAsync([conversation.Id], "kiwi", null, 10, Cancellation);
        Assert.Equal(["kiwi four", "kiwi three", "kiwi two", "kiwi one"], hits.Items.Select(m => m.Content!.Text));
    }

    [Fact]
    public async Task New_messages_write_their_MessageSent_events_to_the_outbox_and_advance_the_conversation()
    {
        var (store, conversation) = await StartAsync();

        await AppendAsync(store, Text(conversation, "o1"), Text(conversation, "o2"));

        await using var command = dataSource!.CreateCommand(
            "SELECT (SELECT count(*) FROM outbox_messages WHERE type = 'MessageSent' AND key = $1), (SELECT last_seq FROM conversations WHERE id = $2)");
        command.Parameters.Add(new NpgsqlParameter { Value = conversation.Id.ToString() });
        command.Parameters.Add(new NpgsqlParameter { Value = conversation.Id });
        await using var reader = await command.ExecuteReaderAsync(Cancellation);
        await reader.ReadAsync(Cancellation);
        Assert.Equal(2, reader.GetInt64(0));
        Assert.Equal(2, reader.GetInt64(1));
    }
}

public sealed class PostgresMessageStoreTests(TestServers servers) : MessageStoreContractTests(servers)
{
    protected override Task<IMessageStore> CreateStoreAsync(NpgsqlDataSource postgres) => Task.FromResult<IMessageStore>(new PostgresMessageStore(postgres));
}

public sealed class MongoMessageStoreTests(TestServers servers) : MessageStoreContractTests(servers)
{
    public const string Variable = "MESSENGER_TEST_MONGODB";
    private MongoClient? client;
    private string? databaseName;

    protected override Task<IMessageStore> CreateStoreAsync(NpgsqlDataSource postgres)
    {
        var connectionString = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(connectionString))
        {
            Assert.Skip($"No MongoDB server: set {Variable} to a connection string (e.g. mongodb://127.0.0.1:27017) to run the MongoDB store's contract tests.");
        }

        client = new MongoClient(connectionString);
        databaseName = "chat_test_" + Guid.NewGuid().ToString("N")[..12];
        return Task.FromResult<IMessageStore>(new MongoMessageStore(client.GetDatabase(databaseName), postgres));
    }

    public override async ValueTask DisposeAsync()
    {
        if (client is not null)
        {
            await client.DropDatabaseAsync(databaseName, Cancellation);
            client.Dispose();
        }

        await base.DisposeAsync();
    }
}
