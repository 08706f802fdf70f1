using System.Collections.Concurrent;
using DropSync.Core.Model;

namespace DropSync.Embedded.Metadata;

/// <summary>
/// Devices by token hash and by id, and accounts by id, kept in memory: authentication reads a device by its token and
/// its account on every request, and the change fan-out reads each commit's device by id. Exact, not a
/// time-bounded guess: the embedded server is one process and this store is the only writer of its database, so every
/// change to a device or an account (revoke, sign-out, password change, last use) goes through this class, which drops
/// what it changed once the write is durable and before it answers. A read that raced with such a write is not kept
/// (<see cref="_authGeneration"/>), so a revoked device is refused on its very next request.
/// </summary>
public sealed partial class SqliteMetadataStore
{
    /// <summary>Entries per cache; past it the cache starts again empty (a flood of sign-ins cannot grow it without bound).</summary>
    private const int MaxCachedAuthEntries = 10_000;

    private readonly ConcurrentDictionary<string, Device> _devicesByTokenHash = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Device> _devicesById = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Account> _accountsById = new(StringComparer.Ordinal);

    /// <summary>Bumped by every change to a device or an account, before its cached entries are dropped.</summary>
    private long _authGeneration;

    private Task<Device?> CachedDeviceByTokenHashAsync(string tokenHash, Func<Task<Device?>> read) => CachedAsync(_devicesByTokenHash, tokenHash, read);

    private Task<Device?> CachedDeviceByIdAsync(string deviceId, Func<Task<Device?>> read) => CachedAsync(_devicesById, deviceId, read);

    private Task<Account?> CachedAccountAsync(string userId, Func<Task<Account?>> read) => CachedAsync(_accountsById, userId, read);

    /// <summary>The cached value for <paramref name="key"/>, or what <paramref name="read"/> finds, kept unless a change raced with the read.</summary>
    private async Task<T?> CachedAsync<T>(ConcurrentDictionary<string, T> cache, string key, Func<Task<T?>> read)
        where T : class
    {
        if (cache.TryGetValue(key, out var cached))
        {
            return cached;
        }

        var generation = Volatile.Read(ref _authGeneration);
        var value = await read();
        if (value is not null)
        {
            Remember(cache, key, value, generation);
        }

        return value;
    }

    /// <summary>Drops the cached device (all its token hashes) after a durable change to it.</summary>
    private void ForgetDevice(string deviceId)
    {
        Interlocked.Increment(ref _authGeneration);
        _devicesById.TryRemove(deviceId, out _);
        foreach (var (tokenHash, device) in _devicesByTokenHash)
        {
            if (device.DeviceId == deviceId)
            {
                _devicesByTokenHash.TryRemove(new KeyValuePair<string, Device>(tokenHash, device));
            }
        }
    }

    /// <summary>Drops the cached account after a durable change to it.</summary>
    private void ForgetAccount(string userId)
    {
        Interlocked.Increment(ref _authGeneration);
        _accountsById.TryRemove(userId, out _);
    }

    // Kept only if no change happened since the read began: a change bumps the generation before it drops entries, so
    // either this check sees the bump, or the entry is in place before the change sweeps.
    private void Remember<T>(ConcurrentDictionary<string, T> cache, string key, T value, long generationBeforeRead)
        where T : class
    {
        if (cache.Count >= MaxCachedAuthEntries)
        {
            cache.Clear();
        }

        cache[key] = value;
        if (Volatile.Read(ref _authGeneration) != generationBeforeRead)
        {
            cache.TryRemove(new KeyValuePair<string, T>(key, value));
        }
    }
}
