using Friendship.Api.Data;
using Messenger.Contracts.Friendships;
using Messenger.Contracts.Users;
using Messenger.EventBus.Outbox;
using Messenger.ServiceDefaults.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Friendship.Api.Domain;

public enum SendResult
{
    Sent,

    /// <summary>The other user had already asked; asking back accepted their request.</summary>
    AcceptedTheirs,
    AlreadySent,
    AlreadyFriends,

    /// <summary>The addressee's settings (or their block) do not admit the sender.</summary>
    NotAdmitted,
    SenderBlockedThem,
}

public enum ChangeResult
{
    Done,
    NotFound,

    /// <summary>The caller is the wrong party of the request for this change.</summary>
    WrongParty,
    NotPending,
}

public sealed record SendOutcome(SendResult Result, FriendRequest? Request = null);

public sealed record ChangeOutcome(ChangeResult Result, FriendRequest? Request = null);

/// <summary>
/// Friend requests and friendships. Every change to a pair of users runs in a transaction that
/// first takes that pair's advisory lock, so the checks it makes (friends already? a request
/// pending either way? blocked?) still hold when it writes; the unique index on pending requests
/// backs this up. Each change writes its event to the outbox in the same transaction.
/// </summary>
public sealed class FriendGraph(FriendshipDbContext db, TimeProvider time)
{
    private const int MaxAttempts = 3;

    public async Task<SendOutcome> SendAsync(Guid senderId, string senderUsername, DirectoryEntry addressee, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await TrySendAsync(senderId, senderUsername, addressee, cancellationToken);
            }
            catch (DbUpdateException ex) when (IsUniqueViolation(ex) && attempt < MaxAttempts)
            {
                // Only reachable if the lock were bypassed; the next attempt sees the winner's row.
                db.ChangeTracker.Clear();
            }
        }
    }

    /// <summary>Accepts (or rejects) a pending request addressed to <paramref name="addresseeId"/>.</summary>
    public Task<ChangeOutcome> RespondAsync(Guid addresseeId, Guid requestId, bool accept, CancellationToken cancellationToken) =>
        ChangePendingAsync(requestId, addresseeId, r => r.ToUserId == addresseeId, request =>
        {
            if (accept)
            {
                Accept(request);
            }
            else
            {
                Close(request, RequestStatus.Rejected);
                db.AddOutboxEvent(new FriendRequestRejected(request.Id, request.FromUserId, request.ToUserId, request.RespondedAt!.Value));
            }
        }, cancellationToken);

    /// <summary>The sender takes back a request that is still pending.</summary>
    public Task<ChangeOutcome> WithdrawAsync(Guid senderId, Guid requestId, CancellationToken cancellationToken) =>
        ChangePendingAsync(requestId, senderId, r => r.FromUserId == senderId, request =>
        {
            Close(request, RequestStatus.Cancelled);
            db.AddOutboxEvent(new FriendRequestCancelled(
                request.Id, request.FromUserId, request.ToUserId, FriendRequestCancelled.Withdrawn, request.RespondedAt!.Value));
        }, cancellationToken);

    /// <summary>Ends the friendship of the two; false when they were not friends.</summary>
    public async Task<bool> RemoveAsync(Guid userId, Guid friendId, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await LockPairAsync(userId, friendId, cancellationToken);
        if (!await DeleteFriendshipAsync(userId, friendId, cancellationToken))
        {
            return false;
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Records a block (from the User service's event) and ends what the two had: their friendship
    /// and any pending request. A block older than the pair's latest recorded change (an unblock that
    /// overtook it) changes nothing. Runs inside the caller's transaction.
    /// </summary>
    public async Task ApplyBlockAsync(Guid blockerId, Guid blockedId, DateTimeOffset blockedAt, CancellationToken cancellationToken)
    {
        await LockPairAsync(blockerId, blockedId, cancellationToken);
        if (!await RecordBlockChangeAsync(blockerId, blockedId, isBlocked: true, blockedAt, cancellationToken))
        {
            return;
        }

        await DeleteFriendshipAsync(blockerId, blockedId, cancellationToken);
        if (await FindPendingAsync(blockerId, blockedId, cancellationToken) is { } pending)
        {
            if (pending.FromUserId == blockedId)
            {
                Close(pending, RequestStatus.Rejected);
                db.AddOutboxEvent(new FriendRequestRejected(pending.Id, pending.FromUserId, pending.ToUserId, pending.RespondedAt!.Value));
            }
            else
            {
                Close(pending, RequestStatus.Cancelled);
                db.AddOutboxEvent(new FriendRequestCancelled(
                    pending.Id, pending.FromUserId, pending.ToUserId, FriendRequestCancelled.Blocked, pending.RespondedAt!.Value));
            }
        }

        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>Records an unblock, unless a later block of the pair is already recorded.</summary>
    public Task ApplyUnblockAsync(Guid blockerId, Guid blockedId, DateTimeOffset unblockedAt, CancellationToken cancellationToken) =>
        RecordBlockChangeAsync(blockerId, blockedId, isBlocked: false, unblockedAt, cancellationToken);

    /// <summary>Stores the pair's block state if this change is newer than the stored one; false when it is not.</summary>
    private async Task<bool> RecordBlockChangeAsync(Guid blockerId, Guid blockedId, bool isBlocked, DateTimeOffset changedAt, CancellationToken cancellationToken) =>
        await db.Database.ExecuteSqlAsync(
            $"""
            INSERT INTO blocks (blocker_id, blocked_id, is_blocked, changed_at) VALUES ({blockerId}, {blockedId}, {isBlocked}, {changedAt})
            ON CONFLICT (blocker_id, blocked_id) DO UPDATE SET is_blocked = excluded.is_blocked, changed_at = excluded.changed_at
            WHERE blocks.changed_at < excluded.changed_at
            """,
            cancellationToken) == 1;

    /// <summary>Whether a privacy setting of <paramref name="ownerId"/> lets <paramref name="viewerId"/> in (the owner always is).</summary>
    public async Task<bool> AdmitsAsync(Audience audience, Guid ownerId, Guid viewerId, CancellationToken cancellationToken)
    {
        if (ownerId == viewerId)
        {
            return true;
        }

        if (await db.Blocks.AnyAsync(b => b.BlockerId == ownerId && b.BlockedId == viewerId, cancellationToken))
        {
            return false;
        }

        return audience switch
        {
            Audience.Everyone => true,
            Audience.Friends => await AreFriendsAsync(ownerId, viewerId, cancellationToken),
            Audience.FriendsOfFriends => await AreFriendsAsync(ownerId, viewerId, cancellationToken)
                || await db.Friends.AnyAsync(
                    mine => mine.UserId == viewerId && db.Friends.Any(theirs => theirs.UserId == ownerId && theirs.FriendId == mine.FriendId),
                    cancellationToken),
            _ => false,
        };
    }

    private async Task<SendOutcome> TrySendAsync(Guid senderId, string senderUsername, DirectoryEntry addressee, CancellationToken cancellationToken)
    {
        var addresseeId = addressee.UserId;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await LockPairAsync(senderId, addresseeId, cancellationToken);

        if (await db.Blocks.AnyAsync(b => b.BlockerId == senderId && b.BlockedId == addresseeId, cancellationToken))
        {
            return new SendOutcome(SendResult.SenderBlockedThem);
        }

        if (await db.Blocks.AnyAsync(b => b.BlockerId == addresseeId && b.BlockedId == senderId, cancellationToken))
        {
            return new SendOutcome(SendResult.NotAdmitted);
        }

        if (await AreFriendsAsync(senderId, addresseeId, cancellationToken))
        {
            return new SendOutcome(SendResult.AlreadyFriends);
        }

        var pending = await FindPendingAsync(senderId, addresseeId, cancellationToken);
        if (pending?.FromUserId == senderId)
        {
            return new SendOutcome(SendResult.AlreadySent, pending);
        }

        if (pending is not null)
        {
            // They asked first, so they want this friendship: no need to check their settings.
            Accept(pending);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return new SendOutcome(SendResult.AcceptedTheirs, pending);
        }

        if (!await AdmitsAsync(addressee.Privacy.FriendRequestsFrom, addresseeId, senderId, cancellationToken))
        {
            return new SendOutcome(SendResult.NotAdmitted);
        }

        var now = time.GetUtcNowInMicroseconds();
        var request = new FriendRequest
        {
            Id = Guid.CreateVersion7(now),
            FromUserId = senderId,
            FromUsername = senderUsername,
            ToUserId = addresseeId,
            ToUsername = addressee.Username,
            Status = RequestStatus.Pending,
            CreatedAt = now,
        };
        db.Requests.Add(request);
        db.AddOutboxEvent(new FriendRequestSent(request.Id, senderId, senderUsername, addresseeId, addressee.Username, now), now);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new SendOutcome(SendResult.Sent, request);
    }

    private async Task<ChangeOutcome> ChangePendingAsync(
        Guid requestId, Guid callerId, Func<FriendRequest, bool> isRightParty, Action<FriendRequest> change, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var request = await db.Requests.FirstOrDefaultAsync(r => r.Id == requestId, cancellationToken);
        if (request is null || !request.Involves(callerId))
        {
            // Other people's requests are reported as missing, so request ids cannot be probed.
            return new ChangeOutcome(ChangeResult.NotFound);
        }

        if (!isRightParty(request))
        {
            return new ChangeOutcome(ChangeResult.WrongParty, request);
        }

        await LockPairAsync(request.FromUserId, request.ToUserId, cancellationToken);
        await db.Entry(request).ReloadAsync(cancellationToken);
        if (request.Status != RequestStatus.Pending)
        {
            return new ChangeOutcome(ChangeResult.NotPending, request);
        }

        change(request);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            await transaction.RollbackAsync(cancellationToken);
            db.ChangeTracker.Clear();
            return new ChangeOutcome(ChangeResult.NotPending, await db.Requests.AsNoTracking().FirstAsync(r => r.Id == requestId, cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
        return new ChangeOutcome(ChangeResult.Done, request);
    }

    private void Accept(FriendRequest request)
    {
        Close(request, RequestStatus.Accepted);
        var since = request.RespondedAt!.Value;
        db.Friends.Add(new FriendEdge { UserId = request.FromUserId, FriendId = request.ToUserId, FriendUsername = request.ToUsername, Since = since, RequestId = request.Id });
        db.Friends.Add(new FriendEdge { UserId = request.ToUserId, FriendId = request.FromUserId, FriendUsername = request.FromUsername, Since = since, RequestId = request.Id });
        db.AddOutboxEvent(new FriendRequestAccepted(request.Id, request.FromUserId, request.FromUsername, request.ToUserId, request.ToUsername, since), since);
    }

    private void Close(FriendRequest request, RequestStatus status)
    {
        request.Status = status;
        request.RespondedAt = time.GetUtcNowInMicroseconds();
    }

    private async Task<bool> DeleteFriendshipAsync(Guid userId, Guid friendId, CancellationToken cancellationToken)
    {
        var deleted = await db.Friends
            .Where(e => (e.UserId == userId && e.FriendId == friendId) || (e.UserId == friendId && e.FriendId == userId))
            .ExecuteDeleteAsync(cancellationToken);
        if (deleted > 0)
        {
            var now = time.GetUtcNowInMicroseconds();
            db.AddOutboxEvent(new FriendRemoved(userId, friendId, now), now);
        }

        return deleted > 0;
    }

    private Task<bool> AreFriendsAsync(Guid a, Guid b, CancellationToken cancellationToken) =>
        db.Friends.AnyAsync(e => e.UserId == a && e.FriendId == b, cancellationToken);

    private Task<FriendRequest?> FindPendingAsync(Guid a, Guid b, CancellationToken cancellationToken) =>
        db.Requests.FirstOrDefaultAsync(
            r => r.Status == RequestStatus.Pending && ((r.FromUserId == a && r.ToUserId == b) || (r.FromUserId == b && r.ToUserId == a)),
            cancellationToken);

    /// <summary>Serializes every change to one pair of users until the transaction ends.</summary>
    private async Task LockPairAsync(Guid a, Guid b, CancellationToken cancellationToken) =>
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtextextended({FriendshipKeys.Pair(a, b)}, 0))", cancellationToken);

    private static bool IsUniqueViolation(DbUpdateException exception) =>
        exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };
}
