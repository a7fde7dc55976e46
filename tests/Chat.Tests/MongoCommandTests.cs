using Chat.Api.Data.Mongo;
using Chat.Api.Domain;
using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using MongoDB.Driver;

namespace Chat.Tests;

/// <summary>
/// The exact commands the MongoDB store sends, rendered to BSON as the driver sends them. These
/// run without a server; with one, <see cref="MongoMessageStoreTests"/> runs the store's contract too.
/// </summary>
public sealed class MongoCommandTests
{
    private static readonly Guid Conversation = Guid.Parse("01934b5e-0000-7000-8000-000000000001");
    private static readonly Guid Sender = Guid.Parse("01934b5e-0000-7000-8000-000000000002");
    private static readonly Guid Other = Guid.Parse("01934b5e-0000-7000-8000-000000000003");
    private static readonly DateTime At = new(2026, 11, 25, 12, 0, 0, DateTimeKind.Utc);

    private static BsonBinaryData Uuid(Guid id) => new(id, GuidRepresentation.Standard);

    private static BsonDocument Render(FilterDefinition<MessageDocument> filter) =>
        filter.Render(new RenderArgs<MessageDocument>(BsonSerializer.LookupSerializer<MessageDocument>(), BsonSerializer.SerializerRegistry));

    private static BsonValue Render(UpdateDefinition<MessageDocument> update) =>
        update.Render(new RenderArgs<MessageDocument>(BsonSerializer.LookupSerializer<MessageDocument>(), BsonSerializer.SerializerRegistry));

    private static BsonDocument Render(SortDefinition<MessageDocument> sort) =>
        sort.Render(new RenderArgs<MessageDocument>(BsonSerializer.LookupSerializer<MessageDocument>(), BsonSerializer.SerializerRegistry));

    [Fact]
    public void Indexes_are_history_by_seq_unique_clientMessageId_per_sender_and_text_search()
    {
        var rendered = MongoCommands.MessageIndexes
            .Select(i => (Keys: i.Keys.Render(new RenderArgs<MessageDocument>(BsonSerializer.LookupSerializer<MessageDocument>(), BsonSerializer.SerializerRegistry)), i.Options))
            .ToList();

        Assert.Equal(new BsonDocument { { "conversationId", 1 }, { "seq", -1 } }, rendered[0].Keys);
        Assert.True(rendered[0].Options.Unique);
        Assert.Equal(MongoCommands.HistoryIndexName, rendered[0].Options.Name);
        Assert.Equal(new BsonDocument { { "conversationId", 1 }, { "senderId", 1 }, { "clientMessageId", 1 } }, rendered[1].Keys);
        Assert.True(rendered[1].Options.Unique);
        Assert.Equal(new BsonDocument { { "content.text", "text" }, { "content.name", "text" } }, rendered[2].Keys);
        Assert.Equal("none", rendered[2].Options.DefaultLanguage);
    }

    [Fact]
    public void Stored_duplicates_are_looked_up_by_conversation_sender_and_clientMessageId()
    {
        var filter = Render(MongoCommands.StoredWithKeys([(Conversation, Sender, "c-1"), (Conversation, Other, "c-2")]));

        Assert.Equal(new BsonDocument("$or", new BsonArray
        {
            new BsonDocument { { "conversationId", Uuid(Conversation) }, { "senderId", Uuid(Sender) }, { "clientMessageId", "c-1" } },
            new BsonDocument { { "conversationId", Uuid(Conversation) }, { "senderId", Uuid(Other) }, { "clientMessageId", "c-2" } },
        }), filter);
    }

    [Fact]
    public void Seqs_are_taken_with_one_atomic_increment_that_creates_the_counter_and_returns_it_after()
    {
        var update = MongoCommands.TakeSeqs(7, At).Render(new RenderArgs<ConversationCounter>(
            BsonSerializer.LookupSerializer<ConversationCounter>(), BsonSerializer.SerializerRegistry));
        var filter = MongoCommands.Counter(Conversation).Render(new RenderArgs<ConversationCounter>(
            BsonSerializer.LookupSerializer<ConversationCounter>(), BsonSerializer.SerializerRegistry));

        Assert.Equal(new BsonDocument("_id", Uuid(Conversation)), filter);
        Assert.Equal(new BsonDocument
        {
            { "$inc", new BsonDocument("lastSeq", new BsonInt64(7)) },
            { "$set", new BsonDocument("lastActivityAt", new BsonDateTime(At)) },
        }, update);
        Assert.True(MongoCommands.TakeSeqsOptions.IsUpsert);
        Assert.Equal(ReturnDocument.After, MongoCommands.TakeSeqsOptions.ReturnDocument);
    }

    [Fact]
    public void History_pages_filter_and_sort_by_seq()
    {
        Assert.Equal(new BsonDocument { { "conversationId", Uuid(Conversation) }, { "seq", new BsonDocument { { "$lt", 40L }, { "$gt", 10L } } } },
            Render(MongoCommands.Page(Conversation, 40, 10)));
        Assert.Equal(new BsonDocument("conversationId", Uuid(Conversation)), Render(MongoCommands.Page(Conversation, null, null)));
        Assert.Equal(new BsonDocument("seq", -1), Render(MongoCommands.BySeq(ascending: false)));
        Assert.Equal(new BsonDocument("seq", 1), Render(MongoCommands.BySeq(ascending: true)));
    }

    [Fact]
    public void An_attachments_edit_sets_or_removes_only_its_caption()
    {
        Assert.Equal(new BsonDocument("$set", new BsonDocument { { "content.text", "new caption" }, { "editedAt", new BsonDateTime(At) } }),
            Render(MongoCommands.EditCaption("new caption", At)));
        Assert.Equal(new BsonDocument
        {
            { "$unset", new BsonDocument("content.text", 1) },
            { "$set", new BsonDocument("editedAt", new BsonDateTime(At)) },
        }, Render(MongoCommands.EditCaption(null, At)));
    }

    [Fact]
    public void An_edit_matches_only_the_authors_live_message_of_the_same_kind()
    {
        var message = Guid.Parse("01934b5e-0000-7000-8000-0000000000aa");

        var filter = Render(MongoCommands.EditableBy(Conversation, message, Sender, "text"));
        var update = Render(MongoCommands.Edit(new ContentDocument { Kind = "text", Text = "fixed" }, At));

        Assert.Equal(new BsonDocument
        {
            { "_id", Uuid(message) },
            { "conversationId", Uuid(Conversation) },
            { "senderId", Uuid(Sender) },
            { "deletedAt", BsonNull.Value },
            { "content.kind", "text" },
        }, filter);
        Assert.Equal(new BsonDocument("$set", new BsonDocument
        {
            { "content", new BsonDocument { { "kind", "text" }, { "text", "fixed" } } },
            { "editedAt", new BsonDateTime(At) },
        }), update);
    }

    [Fact]
    public void A_delete_leaves_a_tombstone_without_content_or_reactions()
    {
        Assert.Equal(new BsonDocument
        {
            { "$unset", new BsonDocument { { "content", 1 }, { "reactions", 1 } } },
            { "$set", new BsonDocument("deletedAt", new BsonDateTime(At)) },
        }, Render(MongoCommands.Delete(At)));
    }

    [Fact]
    public void Reactions_are_added_to_a_set_and_pulled_by_emoji_and_user()
    {
        Assert.Equal(new BsonDocument("$addToSet", new BsonDocument("reactions", new BsonDocument { { "emoji", "👍" }, { "userId", Uuid(Sender) } })),
            Render(MongoCommands.AddReaction("👍", Sender)));
        Assert.Equal(new BsonDocument("$pull", new BsonDocument("reactions", new BsonDocument { { "emoji", "👍" }, { "userId", Uuid(Sender) } })),
            Render(MongoCommands.RemoveReaction("👍", Sender)));
    }

    [Fact]
    public void Search_is_a_text_query_limited_to_my_live_messages_newest_id_first()
    {
        var before = Guid.Parse("01934b5e-0000-7000-8000-0000000000ff");

        var filter = Render(MongoCommands.Search([Conversation, Other], "apples", before));

        Assert.Equal(new BsonDocument
        {
            { "$text", new BsonDocument("$search", "apples") },
            { "conversationId", new BsonDocument("$in", new BsonArray { Uuid(Conversation), Uuid(Other) }) },
            { "deletedAt", BsonNull.Value },
            { "_id", new BsonDocument("$lt", Uuid(before)) },
        }, filter);
        Assert.Equal(new BsonDocument("_id", -1), Render(MongoCommands.NewestIdFirst));
    }

    [Fact]
    public void A_stored_message_document_has_the_documented_shape()
    {
        var message = new ChatMessage(Sender, Conversation, 3, Other, "c-9", new MessageContent("image", Url: "https://x/p.png", Name: "p.png", Size: 10, MimeType: "image/png"),
            new DateTimeOffset(At), ReplyTo: Guid.Parse("01934b5e-0000-7000-8000-0000000000bb"));

        var document = MessageDocument.From(message).ToBsonDocument();

        Assert.Equal(new BsonDocument
        {
            { "_id", Uuid(Sender) },
            { "conversationId", Uuid(Conversation) },
            { "seq", 3L },
            { "senderId", Uuid(Other) },
            { "clientMessageId", "c-9" },
            { "content", new BsonDocument { { "kind", "image" }, { "url", "https://x/p.png" }, { "name", "p.png" }, { "size", 10L }, { "mimeType", "image/png" } } },
            { "sentAt", new BsonDateTime(At) },
            { "replyTo", Uuid(Guid.Parse("01934b5e-0000-7000-8000-0000000000bb")) },
        }, document);
        Assert.Equal(message, MessageDocument.From(message).ToMessage());
    }

    [Fact]
    public void Message_ids_increase_strictly_in_the_order_they_are_made()
    {
        var ids = Enumerable.Range(0, 20_000).Select(_ => MessageIds.New()).ToList();

        var bytes = ids.Select(id => Convert.ToHexString(id.ToByteArray(bigEndian: true))).ToList();
        Assert.Equal(bytes.Order(StringComparer.Ordinal), bytes);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Equal(7, id.Version));
    }

    [Fact]
    public void Message_ids_made_on_many_threads_at_once_are_distinct_and_increase_on_each_thread()
    {
        var perThread = new List<Guid>[8];
        Parallel.For(0, perThread.Length, new ParallelOptions { MaxDegreeOfParallelism = perThread.Length }, t =>
            perThread[t] = [.. Enumerable.Range(0, 20_000).Select(_ => MessageIds.New())]);

        Assert.Equal(8 * 20_000, perThread.SelectMany(ids => ids).Distinct().Count());
        Assert.All(perThread, ids =>
        {
            var bytes = ids.Select(id => Convert.ToHexString(id.ToByteArray(bigEndian: true))).ToList();
            Assert.Equal(bytes.Order(StringComparer.Ordinal), bytes);
        });
    }
}
