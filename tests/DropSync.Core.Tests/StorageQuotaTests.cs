using DropSync.Core.Errors;
using DropSync.Core.Files;
using DropSync.Core.Ports;
using DropSync.Core.Retention;

namespace DropSync.Core.Tests;

/// <summary>The quota's cached usage: measured once, refreshed in the background, never on a check's path once known.</summary>
public sealed class StorageQuotaTests
{
    private const string Ns = "ns1";

    [Fact]
    public async Task Once_measured_a_stale_figure_is_refreshed_in_the_background_with_the_commits_charged_meanwhile()
    {
        var store = new GatedUsage();
        var clock = new ManualClock();
        var quota = new StorageQuota(store, new DropSyncOptions { StorageQuota = 1000, QuotaUsageCacheLifetime = TimeSpan.FromMinutes(1) }, clock);

        // The first check waits for the first measurement.
        store.Next(100).SetResult();
        await quota.RequireRoomAsync(Ns, 900, default);
        await Assert.ThrowsAsync<DropSyncException>(() => quota.RequireRoomAsync(Ns, 901, default));
        Assert.Equal(1, store.Measurements);

        // Past the lifetime a check starts a measurement and is answered from the cached figure without waiting for it.
        clock.Now += TimeSpan.FromMinutes(2);
        var release = store.Next(900);
        await quota.RequireRoomAsync(Ns, 500, default).WaitAsync(TimeSpan.FromSeconds(10));
        await store.Started.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, store.Measurements);
        // A second check while it runs starts no other.
        await quota.RequireRoomAsync(Ns, 500, default).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, store.Measurements);

        // A commit charged while the measurement runs is added to what it finds: 900 + 50 used afterwards.
        quota.Charge(Ns, 50);
        release.SetResult();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await RefusedAsync(quota, 51))
        {
            Assert.True(DateTime.UtcNow < deadline, "the refreshed figure never arrived");
            await Task.Delay(10);
        }

        await quota.RequireRoomAsync(Ns, 50, default);
        Assert.Equal(2, store.Measurements);
    }

    [Fact]
    public async Task A_failed_refresh_keeps_the_figure_and_the_next_check_measures_again()
    {
        var store = new GatedUsage();
        var clock = new ManualClock();
        var quota = new StorageQuota(store, new DropSyncOptions { StorageQuota = 1000, QuotaUsageCacheLifetime = TimeSpan.FromMinutes(1) }, clock);
        store.Next(100).SetResult();
        await quota.RequireRoomAsync(Ns, 1, default);

        clock.Now += TimeSpan.FromMinutes(2);
        store.Next(0).SetException(new IOException("disk gone"));
        await quota.RequireRoomAsync(Ns, 900, default);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        store.Next(950).SetResult();
        while (!await RefusedAsync(quota, 51))
        {
            Assert.True(DateTime.UtcNow < deadline, "no measurement after the failed one");
            await Task.Delay(10);
        }

        Assert.Equal(3, store.Measurements);
    }

    private static async Task<bool> RefusedAsync(StorageQuota quota, long bytes)
    {
        try
        {
            await quota.RequireRoomAsync(Ns, bytes, default);
            return false;
        }
        catch (DropSyncException e) when (e.Code == ErrorCodes.InsufficientSpace)
        {
            return true;
        }
    }

    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 6, 18, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    /// <summary>Measurements answer what <see cref="Next"/> queued, when the test releases them.</summary>
    private sealed class GatedUsage : IRetentionStore
    {
        private readonly Queue<(long Bytes, TaskCompletionSource Release)> _queued = new();
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _measurements;

        public int Measurements => Volatile.Read(ref _measurements);

        /// <summary>Completes when a measurement after the first has started.</summary>
        public Task Started => _started.Task;

        public TaskCompletionSource Next(long bytes)
        {
            var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_queued)
            {
                _queued.Enqueue((bytes, release));
            }

            return release;
        }

        public async Task<SpaceUsage> MeasureAsync(string namespaceId, CancellationToken cancellationToken)
        {
            (long Bytes, TaskCompletionSource Release) next;
            lock (_queued)
            {
                next = _queued.Dequeue();
            }

            if (Interlocked.Increment(ref _measurements) > 1)
            {
                _started.TrySetResult();
            }

            await next.Release.Task;
            return new SpaceUsage(next.Bytes, 0);
        }

        public Task<IReadOnlyList<FileHistory>> ListDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> ForgetAsync(FileHistory history, RetentionVerdict verdict, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<FileHistory?> GetHistoryAsync(string namespaceId, string pathKey, int limit, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
