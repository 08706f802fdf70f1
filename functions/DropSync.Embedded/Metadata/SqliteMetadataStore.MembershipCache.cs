using System.Collections.Concurrent;
using DropSync.Core.Model;
using DropSync.Core.Ports;

namespace DropSync.Embedded.Metadata;

/// <summary>
/// Each user's memberships (shares and mounts), kept in memory: every request resolves its paths through them
/// (<c>PathResolver</c>), so without this each request paid a read for a list that almost never changes. Exact, as the
/// authentication cache: shares and members are written only by metadata batches of this store, and a batch holding
/// any sharing write empties the whole cache once it is durable and before it answers; a read that raced with such a
/// batch is not kept (<see cref="_membershipGeneration"/>).
/// </summary>
public sealed partial class SqliteMetadataStore
{
    /// <summary>Users cached at most; past it the cache starts again empty.</summary>
    private const int MaxCachedMembershipUsers = 10_000;

    private readonly ConcurrentDictionary<string, IReadOnlyList<Membership>> _membershipsByUser = new(StringComparer.Ordinal);

    /// <summary>Bumped by every durable sharing change, before the cache is emptied.</summary>
    private long _membershipGeneration;

    private async Task<IReadOnlyList<Membership>> CachedMembershipsAsync(string userId, Func<Task<IReadOnlyList<Membership>>> read)
    {
        if (_membershipsByUser.TryGetValue(userId, out var cached))
        {
            return cached;
        }

        var generation = Volatile.Read(ref _membershipGeneration);
        var memberships = await read();
        if (_membershipsByUser.Count >= MaxCachedMembershipUsers)
        {
            _membershipsByUser.Clear();
        }

        _membershipsByUser[userId] = memberships;
        if (Volatile.Read(ref _membershipGeneration) != generation)
        {
            _membershipsByUser.TryRemove(new KeyValuePair<string, IReadOnlyList<Membership>>(userId, memberships));
        }

        return memberships;
    }

    private static bool ChangesSharing(IReadOnlyList<MetadataWrite> writes) =>
        writes.Any(write => write is MetadataWrite.PutShare or MetadataWrite.DeleteShare or MetadataWrite.PutMember or MetadataWrite.DeleteMember);

    /// <summary>Answers <paramref name="write"/>'s outcome once the memberships cache is emptied (whatever the outcome: emptying is always safe).</summary>
    private async Task<T> ForgettingMembershipsAfter<T>(Task<T> write)
    {
        try
        {
            return await write;
        }
        finally
        {
            Interlocked.Increment(ref _membershipGeneration);
            _membershipsByUser.Clear();
        }
    }
}
