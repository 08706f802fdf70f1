using System.Runtime.InteropServices;

namespace DropSync.Api.Hosting;

/// <summary>
/// Gives glibc's free native memory back to the OS every few seconds (issue 12, memory). Threads started before
/// <c>Main</c> have made seven malloc arenas by then, so <see cref="MallocArenas"/>' cap comes too late to merge them; SQLite's
/// and OpenSSL's small allocations then churn through all seven, and each keeps the pages it freed. Measured with gdb's
/// <c>mallinfo2()</c> on the server during <c>transfer --size 1GiB</c>: 7.5 MB in use throughout, while the free space
/// kept in the arenas grew 3.8 → 5.1 MB over one run (the native part of the 10 GiB creep). <c>malloc_trim(0)</c>
/// (https://man7.org/linux/man-pages/man3/malloc_trim.3.html) releases every whole free page of every arena; with a 2 s
/// period the benchmark's server CPU-seconds per GiB did not move (docs/performance/server-history.md,
/// "Round 7: server memory").
/// </summary>
internal sealed partial class NativeHeapTrim(ILogger<NativeHeapTrim> logger) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(2);

    /// <summary><c>M_MMAP_THRESHOLD</c> from glibc's malloc.h.</summary>
    private const int MmapThresholdParameter = -3;

    /// <summary>
    /// glibc's default, set explicitly because setting it turns off the dynamic threshold: after one freed mmap'd chunk (a
    /// 4 MiB block-file buffer beyond the store's kept ones) glibc would otherwise serve allocations up to that size from
    /// the arenas and stop trimming their tops below twice that.
    /// </summary>
    private const int MmapThreshold = 128 * 1024;

    /// <summary><c>M_TRIM_THRESHOLD</c> from glibc's malloc.h.</summary>
    private const int TrimThresholdParameter = -1;

    /// <summary>
    /// How much free space an arena's top may hold before <c>free</c> gives it back (glibc's default is 128 KiB, and pinning
    /// the mmap threshold stops glibc raising it). At 128 KiB, SQLite's statement journal (one 64 KiB chunk malloc'd and
    /// freed by each INSERT or UPDATE inside the group transaction) made nearly every commit <c>madvise</c> its arena's top
    /// away and fault it back in: measured 1.0 <c>madvise</c> per commit and about a quarter of the group-commit writer
    /// thread's CPU (a TLB flush of every core per call). The periodic <see cref="Trim"/> gives those pages back anyway,
    /// so an arena holds at most this much more for at most <see cref="Period"/>.
    /// </summary>
    private const int TrimThreshold = 1024 * 1024;

    private const string Glibc = "libc";

    /// <summary>Whether this process's malloc is glibc's (the only one with these calls): false on Windows, macOS and musl.</summary>
    public static bool Available { get; } = Probe();

    /// <summary>
    /// Pins the mmap threshold (see <see cref="MmapThreshold"/>) and the trim threshold (see <see cref="TrimThreshold"/>);
    /// true when glibc accepted both.
    /// </summary>
    public static bool PinThresholds() =>
        Available && SetMallocOption(MmapThresholdParameter, MmapThreshold) == 1 && SetMallocOption(TrimThresholdParameter, TrimThreshold) == 1;

    /// <summary>The last few trims' windows (Stopwatch timestamps), for <see cref="MillisecondsWithin"/>; one trim runs at a time.</summary>
    private static readonly (long Start, long End)[] RecentTrims = new (long, long)[16];
    private static int _trims;

    /// <summary>Releases free native pages now; true when glibc gave some back.</summary>
    public static bool TrimNow()
    {
        if (!Available)
        {
            return false;
        }

        var slot = Interlocked.Increment(ref _trims) % RecentTrims.Length;
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        RecentTrims[slot] = (start, long.MaxValue);
        var released = Trim(0) == 1;
        RecentTrims[slot] = (start, System.Diagnostics.Stopwatch.GetTimestamp());
        return released;
    }

    /// <summary>How long trims ran between two Stopwatch timestamps (the request timing log: a trim holds glibc's arena locks).</summary>
    public static double MillisecondsWithin(long from, long to) => OverlapMilliseconds(RecentTrims, from, to);

    /// <summary>
    /// How much of <paramref name="windows"/> (Stopwatch timestamps; an unused slot starts at 0, a window still running
    /// ends at <see cref="long.MaxValue"/>) lies between <paramref name="from"/> and <paramref name="to"/>, in milliseconds.
    /// </summary>
    public static double OverlapMilliseconds(ReadOnlySpan<(long Start, long End)> windows, long from, long to)
    {
        var ticks = 0L;
        foreach (var (start, end) in windows)
        {
            var overlap = Math.Min(end, to) - Math.Max(start, from);
            ticks += start > 0 && overlap > 0 ? overlap : 0;
        }

        return ticks * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Available)
        {
            return;
        }

        using var timer = new PeriodicTimer(Period);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var startedUtc = DateTime.UtcNow;
                var start = System.Diagnostics.Stopwatch.GetTimestamp();
                var released = TrimNow();
                LogTrim(startedUtc, System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds, released);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            logger.LogDebug("Native heap trimming stopped.");
        }
    }

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            _ = Trim(0);
            return true;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "native heap trim at {StartedUtc:O}: {Milliseconds:0.0} ms, released {Released}")]
    private partial void LogTrim(DateTime startedUtc, double milliseconds, bool released);

    [LibraryImport(Glibc, EntryPoint = "malloc_trim")]
    private static partial int Trim(nuint pad);

    [LibraryImport(Glibc, EntryPoint = "mallopt")]
    private static partial int SetMallocOption(int parameter, int value);
}
