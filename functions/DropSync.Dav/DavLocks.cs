using DropSync.Core.Sharing;

namespace DropSync.Dav;

/// <summary>An active WebDAV write lock (RFC 4918 §6).</summary>
internal sealed record DavLock(
    string Token,
    string NamespaceId,
    string RootKey,
    string RootHref,
    bool Exclusive,
    bool Infinite,
    string? OwnerXml,
    string UserId,
    TimeSpan Timeout,
    DateTimeOffset ExpiresAt)
{
    /// <summary>True when this lock covers the entry at (ns, key): its root, or below it for a depth-infinity lock.</summary>
    public bool Covers(string ns, string key) =>
        ns == NamespaceId && (key == RootKey || (Infinite && IsBelow(key, RootKey)));

    public static bool IsBelow(string key, string ancestorKey) =>
        ancestorKey.Length == 0 ? key.Length > 0 : key.StartsWith(ancestorKey + "/", StringComparison.Ordinal);
}

/// <summary>
/// The server's WebDAV locks, in memory: the embedded server is one process, and locks are advisory state that
/// clients refresh (a restart forgets them, as their timeouts allow). Keyed by namespace and path key, so a lock taken
/// through one member's view of a shared folder holds for every member.
/// </summary>
internal sealed class DavLocks(TimeProvider clock)
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromHours(1);
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(1);

    private readonly object _gate = new();
    private readonly List<DavLock> _locks = [];

    /// <summary>The live locks covering an entry, or (with <paramref name="andBelow"/>) on anything below it too.</summary>
    public IReadOnlyList<DavLock> Affecting(Location at, bool andBelow)
    {
        lock (_gate)
        {
            Expire();
            return _locks.Where(l => l.Covers(at.NamespaceId, at.Inner.Key)
                || (andBelow && l.NamespaceId == at.NamespaceId && DavLock.IsBelow(l.RootKey, at.Inner.Key))).ToList();
        }
    }

    public DavLock? Find(string token)
    {
        lock (_gate)
        {
            Expire();
            return _locks.FirstOrDefault(l => l.Token == token);
        }
    }

    /// <summary>Takes a lock unless a conflicting one exists (then answers it): exclusive conflicts with any, shared with exclusive.</summary>
    public (DavLock? Taken, DavLock? Conflict) TryLock(Location at, string href, bool exclusive, bool infinite, string? ownerXml, string userId, TimeSpan timeout)
    {
        lock (_gate)
        {
            Expire();
            var conflict = _locks.FirstOrDefault(l =>
                (l.Covers(at.NamespaceId, at.Inner.Key) || (infinite && l.NamespaceId == at.NamespaceId && DavLock.IsBelow(l.RootKey, at.Inner.Key)))
                && (exclusive || l.Exclusive));
            if (conflict is not null)
            {
                return (null, conflict);
            }

            var taken = new DavLock("opaquelocktoken:" + Guid.NewGuid().ToString("D"), at.NamespaceId, at.Inner.Key, href, exclusive, infinite, ownerXml, userId, timeout, clock.GetUtcNow() + timeout);
            _locks.Add(taken);
            return (taken, null);
        }
    }

    public DavLock? Refresh(string token, TimeSpan timeout)
    {
        lock (_gate)
        {
            Expire();
            var index = _locks.FindIndex(l => l.Token == token);
            if (index < 0)
            {
                return null;
            }

            _locks[index] = _locks[index] with { Timeout = timeout, ExpiresAt = clock.GetUtcNow() + timeout };
            return _locks[index];
        }
    }

    public bool Unlock(string token)
    {
        lock (_gate)
        {
            return _locks.RemoveAll(l => l.Token == token) > 0;
        }
    }

    /// <summary>Drops the locks on an entry and below it (it was deleted or moved away; locks do not move with it).</summary>
    public void RemoveAtOrBelow(Location at)
    {
        lock (_gate)
        {
            _locks.RemoveAll(l => l.NamespaceId == at.NamespaceId && (l.RootKey == at.Inner.Key || DavLock.IsBelow(l.RootKey, at.Inner.Key)));
        }
    }

    public TimeSpan Remaining(DavLock davLock) => davLock.ExpiresAt - clock.GetUtcNow();

    /// <summary>The timeout a client asked for (RFC 4918 §10.7: "Second-n" or "Infinite", first usable one wins), capped.</summary>
    public static TimeSpan ParseTimeout(string? header)
    {
        foreach (var part in (header ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.Equals("Infinite", StringComparison.OrdinalIgnoreCase))
            {
                return MaxTimeout;
            }

            if (part.StartsWith("Second-", StringComparison.OrdinalIgnoreCase)
                && long.TryParse(part["Second-".Length..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
                && seconds > 0)
            {
                return TimeSpan.FromSeconds(Math.Min(seconds, (long)MaxTimeout.TotalSeconds));
            }
        }

        return DefaultTimeout;
    }

    private void Expire()
    {
        var now = clock.GetUtcNow();
        _locks.RemoveAll(l => l.ExpiresAt <= now);
    }
}
