using Chat.Api.Data;
using Chat.Api.Realtime;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Chat.Api.Domain;

public enum Outcome
{
    Ok,
    Created,
    NotFound,
    Forbidden,
    Invalid,
}

/// <summary>What a conversation command did, with the value or the reason it did not.</summary>
public sealed record Result<T>(Outcome Outcome, T? Value = default, string? Field = null, string? Detail = null);

public static class Result
{
    public static Result<T> Ok<T>(T value) => new(Outcome.Ok, value);

    public static Result<T> Created<T>(T value) => new(Outcome.Created, value);

    public static Result<T> NotFound<T>(string detail) => new(Outcome.NotFound, Detail: detail);

    public static Result<T> Forbidden<T>(string detail) => new(Outcome.Forbidden, Detail: detail);

    public static Result<T> Invalid<T>(string field, string detail) => new(Outcome.Invalid, Field: field, Detail: detail);
}

public sealed record MemberView(Guid UserId, string? Username, string Role, DateTimeOffset JoinedAt, long LastReadSeq);

/// <summary>
/// Conversations and their members: direct conversations (one per pair, refused to a user the
/// other has blocked) and groups (title, up to <see cref="MaxGroupMembers"/> members, owner and admins
/// manage them). Every change drops the conversation from the <see cref="ConversationDirectory"/> on
/// all instances and tells the affected users' sockets with a <c>conversation</c> frame.
/// </summary>
internal sealed class ConversationService(ChatDbContext db, ConversationDirectory directory, FanOut fanOut, TimeProvider time)
{
    public const int MaxGroupMembers = 500;
    public const int TitleMaxLength = 100;
    private const string NoSuchConversation = "You have no conversation with this id.";

    public async Task<Result<ConversationView>> CreateDirectAsync(Guid me, Guid otherId, CancellationToken cancellationToken)
    {
        if (otherId == me)
        {
            return Result.Invalid<ConversationView>("userId", "A direct conversation is with someone else.");
        }

        if (!await db.Users.AnyAsync(u => u.Id == otherId && u.Username != ChatUsers.DeletedUsername, cancellationToken))
        {
            return Result.NotFound<ConversationView>("There is no user with this id.");
        }

        if (await db.Blocks.AnyAsync(b => b.BlockerId == otherId && b.BlockedId == me && b.IsBlocked, cancellationToken))
        {
            return Result.Forbidden<ConversationView>("You cannot start a conversation with this user.");
        }

        var key = DirectKey(me, otherId);
        if (await FindDirectAsync(key, cancellationToken) is { } existing)
        {
            return Result.Ok<ConversationView>(existing);
        }

        var now = time.GetStorableNow();
        var conversation = new ConversationRow
        {
            Id = Guid.CreateVersion7(now),
            Type = ConversationTypes.Direct,
            DirectKey = key,
            CreatedBy = me,
            CreatedAt = now,
            LastActivityAt = now,
        };
        conversation.Members.Add(new MemberRow { UserId = me, Role = MemberRoles.Member, JoinedAt = now });
        conversation.Members.Add(new MemberRow { UserId = otherId, Role = MemberRoles.Member, JoinedAt = now.AddTicks(10) });
        db.Conversations.Add(conversation);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // Both users opened it at the same moment: theirs is the one.
            db.ChangeTracker.Clear();
            return Result.Ok<ConversationView>((await FindDirectAsync(key, cancellationToken))!);
        }

        var view = View(conversation);
        Tell(view, view.MemberIds);
        return Result.Created<ConversationView>(view);
    }

    public async Task<Result<ConversationView>> CreateGroupAsync(Guid me, string? title, IReadOnlyList<Guid>? memberIds, CancellationToken cancellationToken)
    {
        if (CheckTitle(title) is { } titleProblem)
        {
            return Result.Invalid<ConversationView>("title", titleProblem);
        }

        var others = (memberIds ?? []).Where(id => id != me).Distinct().ToList();
        if (others.Count + 1 > MaxGroupMembers)
        {
            return Result.Invalid<ConversationView>("memberIds", $"A group has at most {MaxGroupMembers} members, you included.");
        }

        if (await UnknownUsersAsync(others, cancellationToken) is { } unknown)
        {
            return Result.Invalid<ConversationView>("memberIds", unknown);
        }

        var now = time.GetStorableNow();
        var conversation = new ConversationRow
        {
            Id = Guid.CreateVersion7(now),
            Type = ConversationTypes.Group,
            Title = title!.Trim(),
            CreatedBy = me,
            CreatedAt = now,
            LastActivityAt = now,
        };
        conversation.Members.Add(new MemberRow { UserId = me, Role = MemberRoles.Owner, JoinedAt = now });
        for (var i = 0; i < others.Count; i++)
        {
            conversation.Members.Add(new MemberRow { UserId = others[i], Role = MemberRoles.Member, JoinedAt = now.AddTicks(10 * (i + 1)) });
        }

        db.Conversations.Add(conversation);
        await db.SaveChangesAsync(cancellationToken);
        var view = View(conversation);
        Tell(view, view.MemberIds);
        return Result.Created<ConversationView>(view);
    }

    public async Task<Result<IReadOnlyList<MemberView>>> GetMembersAsync(Guid me, Guid conversationId, CancellationToken cancellationToken)
    {
        if (await LoadAsync(me, conversationId, cancellationToken) is null)
        {
            return Result.NotFound<IReadOnlyList<MemberView>>(NoSuchConversation);
        }

        var members = await (from m in db.Members.AsNoTracking()
                             where m.ConversationId == conversationId
                             join u in db.Users on m.UserId equals u.Id into users
                             from u in users.DefaultIfEmpty()
                             orderby m.JoinedAt, m.UserId
                             select new MemberView(m.UserId, u == null ? null : u.Username, m.Role, m.JoinedAt, m.LastReadSeq))
            .ToListAsync(cancellationToken);
        return Result.Ok<IReadOnlyList<MemberView>>(members);
    }

    public async Task<Result<ConversationView>> AddMembersAsync(Guid me, Guid conversationId, IReadOnlyList<Guid>? userIds, CancellationToken cancellationToken)
    {
        if (userIds is null || userIds.Count == 0)
        {
            return Result.Invalid<ConversationView>("userIds", "Name at least one user to add.");
        }

        var (conversation, failure) = await LoadManageableGroupAsync(me, conversationId, cancellationToken);
        if (conversation is null)
        {
            return failure!;
        }

        var newIds = userIds.Distinct().Where(id => conversation.Members.All(m => m.UserId != id)).ToList();
        if (conversation.Members.Count + newIds.Count > MaxGroupMembers)
        {
            return Result.Invalid<ConversationView>("userIds", $"A group has at most {MaxGroupMembers} members.");
        }

        if (await UnknownUsersAsync(newIds, cancellationToken) is { } unknown)
        {
            return Result.Invalid<ConversationView>("userIds", unknown);
        }

        var now = time.GetStorableNow();
        for (var i = 0; i < newIds.Count; i++)
        {
            // New members start with the history unread from the moment they joined.
            conversation.Members.Add(new MemberRow { UserId = newIds[i], Role = MemberRoles.Member, JoinedAt = now.AddTicks(10 * i), LastReadSeq = conversation.LastSeq });
        }

        await db.SaveChangesAsync(cancellationToken);
        return Result.Ok<ConversationView>(await ChangedAsync(conversation, []));
    }

    /// <summary>Removes a member: anyone may remove themselves; the owner anyone; an admin plain members.</summary>
    public async Task<Result<ConversationView>> RemoveMemberAsync(Guid me, Guid conversationId, Guid userId, CancellationToken cancellationToken)
    {
        var conversation = await LoadAsync(me, conversationId, cancellationToken, track: true);
        if (conversation is null)
        {
            return Result.NotFound<ConversationView>(NoSuchConversation);
        }

        if (conversation.Type == ConversationTypes.Direct)
        {
            return Result.Invalid<ConversationView>("conversationId", "The members of a direct conversation cannot change.");
        }

        var target = conversation.Members.SingleOrDefault(m => m.UserId == userId);
        if (target is null)
        {
            return Result.NotFound<ConversationView>("This user is not a member of the conversation.");
        }

        var actor = conversation.Members.Single(m => m.UserId == me);
        var allowed = userId == me
            || actor.Role == MemberRoles.Owner
            || (actor.Role == MemberRoles.Admin && target.Role == MemberRoles.Member);
        if (!allowed)
        {
            return Result.Forbidden<ConversationView>("Only the owner, or an admin for plain members, can remove someone else.");
        }

        conversation.Members.Remove(target);
        db.Members.Remove(target);
        if (target.Role == MemberRoles.Owner && conversation.Members.Count > 0)
        {
            // The group keeps an owner: the longest-standing admin, else the longest-standing member.
            var heir = conversation.Members.OrderBy(m => m.Role == MemberRoles.Admin ? 0 : 1).ThenBy(m => m.JoinedAt).First();
            heir.Role = MemberRoles.Owner;
        }

        await db.SaveChangesAsync(cancellationToken);
        return Result.Ok<ConversationView>(await ChangedAsync(conversation, [userId]));
    }

    public async Task<Result<ConversationView>> RenameAsync(Guid me, Guid conversationId, string? title, CancellationToken cancellationToken)
    {
        if (CheckTitle(title) is { } problem)
        {
            return Result.Invalid<ConversationView>("title", problem);
        }

        var (conversation, failure) = await LoadManageableGroupAsync(me, conversationId, cancellationToken);
        if (conversation is null)
        {
            return failure!;
        }

        conversation.Title = title!.Trim();
        await db.SaveChangesAsync(cancellationToken);
        return Result.Ok<ConversationView>(await ChangedAsync(conversation, []));
    }

    /// <summary>The owner makes a member an admin or an admin a plain member.</summary>
    public async Task<Result<MemberView>> SetRoleAsync(Guid me, Guid conversationId, Guid userId, string? role, CancellationToken cancellationToken)
    {
        if (role is not (MemberRoles.Admin or MemberRoles.Member))
        {
            return Result.Invalid<MemberView>("role", "The role must be 'admin' or 'member'.");
        }

        var conversation = await LoadAsync(me, conversationId, cancellationToken, track: true);
        if (conversation is null)
        {
            return Result.NotFound<MemberView>(NoSuchConversation);
        }

        if (conversation.Type == ConversationTypes.Direct || conversation.Members.Single(m => m.UserId == me).Role != MemberRoles.Owner)
        {
            return Result.Forbidden<MemberView>("Only the owner of a group can change roles.");
        }

        var target = conversation.Members.SingleOrDefault(m => m.UserId == userId);
        if (target is null)
        {
            return Result.NotFound<MemberView>("This user is not a member of the conversation.");
        }

        if (userId == me)
        {
            return Result.Invalid<MemberView>("userId", "The owner's role does not change; the owner leaves to hand the group on.");
        }

        target.Role = role;
        await db.SaveChangesAsync(cancellationToken);
        await ChangedAsync(conversation, []);
        var username = await db.Users.Where(u => u.Id == userId).Select(u => u.Username).FirstOrDefaultAsync(cancellationToken);
        return Result.Ok<MemberView>(new MemberView(userId, username, role, target.JoinedAt, target.LastReadSeq));
    }

    private async Task<(ConversationRow? Conversation, Result<ConversationView>? Failure)> LoadManageableGroupAsync(
        Guid me, Guid conversationId, CancellationToken cancellationToken)
    {
        var conversation = await LoadAsync(me, conversationId, cancellationToken, track: true);
        if (conversation is null)
        {
            return (null, Result.NotFound<ConversationView>(NoSuchConversation));
        }

        if (conversation.Type == ConversationTypes.Direct)
        {
            return (null, Result.Invalid<ConversationView>("conversationId", "A direct conversation has no title or member list to manage."));
        }

        return MemberRoles.CanManage(conversation.Members.Single(m => m.UserId == me).Role)
            ? (conversation, null)
            : (null, Result.Forbidden<ConversationView>("Only the owner and admins can manage this group."));
    }

    /// <summary>The conversation with its members, when <paramref name="me"/> is one of them.</summary>
    private async Task<ConversationRow?> LoadAsync(Guid me, Guid conversationId, CancellationToken cancellationToken, bool track = false)
    {
        var query = db.Conversations.Include(c => c.Members).Where(c => c.Id == conversationId && c.Members.Any(m => m.UserId == me));
        return await (track ? query : query.AsNoTracking()).FirstOrDefaultAsync(cancellationToken);
    }

    private async Task<ConversationView?> FindDirectAsync(string key, CancellationToken cancellationToken) =>
        await db.Conversations.AsNoTracking().Include(c => c.Members).FirstOrDefaultAsync(c => c.DirectKey == key, cancellationToken) is { } row
            ? View(row)
            : null;

    private async Task<string?> UnknownUsersAsync(List<Guid> userIds, CancellationToken cancellationToken)
    {
        if (userIds.Count == 0)
        {
            return null;
        }

        var known = await db.Users.Where(u => userIds.Contains(u.Id) && u.Username != ChatUsers.DeletedUsername).Select(u => u.Id).ToListAsync(cancellationToken);
        var unknown = userIds.Except(known).ToList();
        return unknown.Count == 0 ? null : "There are no users with these ids: " + string.Join(", ", unknown.Take(10)) + (unknown.Count > 10 ? ", …" : ".");
    }

    private async Task<ConversationView> ChangedAsync(ConversationRow conversation, IReadOnlyList<Guid> removed)
    {
        await directory.InvalidateAsync(conversation.Id);
        var view = View(conversation);
        Tell(view, [.. view.MemberIds, .. removed]);
        return view;
    }

    private void Tell(ConversationView view, IReadOnlyList<Guid> users) => fanOut.Deliver(new Delivery(FrameWriter.Conversation(view), users));

    private static ConversationView View(ConversationRow row) => new(
        row.Id,
        row.Type,
        row.Title,
        [.. row.Members.OrderBy(m => m.JoinedAt).ThenBy(m => m.UserId).Select(m => m.UserId)],
        row.CreatedAt,
        row.LastSeq);

    private static string? CheckTitle(string? title) =>
        string.IsNullOrWhiteSpace(title) || title.Trim().Length > TitleMaxLength
            ? $"A group needs a title of 1 to {TitleMaxLength} characters."
            : null;

    internal static string DirectKey(Guid a, Guid b) => a.CompareTo(b) < 0 ? $"{a:N}:{b:N}" : $"{b:N}:{a:N}";
}
