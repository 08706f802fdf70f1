using System.Globalization;

namespace DropSync.Benchmarks;

/// <summary>
/// The server process's memory from <c>/proc/&lt;pid&gt;/status</c>: VmRSS sampled every 50 ms while a step runs, and VmHWM
/// (the kernel's exact peak RSS). Before each step the peak is reset by writing 5 to <c>/proc/&lt;pid&gt;/clear_refs</c>
/// (Linux 4.0+; allowed because we own the process), so each step's VmHWM is that step's own peak. Where the reset is
/// refused, the sampled maximum is all there is.
/// </summary>
internal sealed class ServerMemory(int pid)
{
    private static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(50);

    private readonly string _status = $"/proc/{pid}/status";
    private readonly string _clearRefs = $"/proc/{pid}/clear_refs";
    private readonly string _stat = $"/proc/{pid}/stat";

    /// <summary>USER_HZ, the unit of /proc/&lt;pid&gt;/stat's CPU times: 100 on every mainstream Linux build.</summary>
    private const double ClockTicksPerSecond = 100;

    /// <summary>Whether per-step peaks come from VmHWM (reset before each step) and not only from 50 ms samples.</summary>
    public bool PeakResetWorks { get; private set; } = true;

    public (long Rss, long Hwm) Read() => ReadStatus(_status);

    /// <summary>
    /// What the RSS is made of now, from <c>/proc/&lt;pid&gt;/status</c>: anonymous memory (GC heap, malloc arenas, native
    /// buffers), file-backed pages (mapped assemblies and native libraries) and shared memory (the JIT's double-mapped code).
    /// </summary>
    public Resident ReadResident()
    {
        var bytes = ReadStatusFields(_status, "RssAnon:", "RssFile:", "RssShmem:");
        return new Resident(bytes[0], bytes[1], bytes[2]);
    }

    /// <summary>RSS by kind, in bytes (see <see cref="ReadResident"/>).</summary>
    public readonly record struct Resident(long Anonymous, long File, long Shared)
    {
        public override string ToString() =>
            $"anonymous {ByteSize.Mebibytes(Anonymous)}, file-backed {ByteSize.Mebibytes(File)}, JIT code (shmem) {ByteSize.Mebibytes(Shared)}";
    }

    /// <summary>The server's CPU time so far (user + system, all threads), in seconds.</summary>
    public double CpuSeconds()
    {
        try
        {
            return ParseCpuSeconds(File.ReadAllText(_stat));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BenchmarkException($"cannot read {_stat} (did the server exit?): {e.Message}");
        }
    }

    /// <summary>
    /// CPU time so far (user + system, seconds) of the server's background tier-up thread, the runtime's
    /// ".NET Tiered Compilation Worker" (Linux truncates thread names to 15 characters): the JIT re-compiling hot methods
    /// with full optimisation. Its growth during a step is that step's share of the per-process tier-up backlog.
    /// Tier-0 and OSR compiles run on the request threads and are not in it. By thread id: the worker exits after 4 idle
    /// seconds (the runtime's TC_BackgroundWorkerTimeoutMs) and a new one starts when work comes, so a step's share is the
    /// growth of each worker seen, read often enough (<see cref="Monitor"/>: every 500 ms) that an exited one lost nothing.
    /// </summary>
    public Dictionary<string, double> TierUpJitSeconds()
    {
        var byThread = new Dictionary<string, double>(StringComparer.Ordinal);
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    if (!File.ReadAllText(Path.Combine(task, "comm")).StartsWith(".NET Tiered", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    byThread[Path.GetFileName(task)] = ParseCpuSeconds(File.ReadAllText(Path.Combine(task, "stat")));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // The thread ended between listing and reading (the worker exits when idle): its time is gone with it.
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The server exited: no threads to read.
        }

        return byThread;
    }

    /// <summary>Tier-up JIT seconds between two <see cref="TierUpJitSeconds"/> readings (time of a worker that ended in between is lost).</summary>
    public static double TierUpGrowth(Dictionary<string, double> before, Dictionary<string, double> after) =>
        after.Sum(t => t.Value - before.GetValueOrDefault(t.Key));

    /// <summary>Adds a later reading to <paramref name="seen"/>: workers that exited keep their last time.</summary>
    private static void Merge(Dictionary<string, double> seen, Dictionary<string, double> reading)
    {
        foreach (var (thread, seconds) in reading)
        {
            seen[thread] = seconds;
        }
    }

    /// <summary>utime + stime of a /proc stat line, in seconds.</summary>
    private static double ParseCpuSeconds(string text)
    {
        // "pid (comm) state ppid ...": the fields after the last ')' start at field 3; utime and stime are fields 14 and 15.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / ClockTicksPerSecond;
    }

    /// <summary>This benchmark's own peak RSS (VmHWM of /proc/self), to show the client holds no file either.</summary>
    public static long ClientPeak() => ReadStatus("/proc/self/status").Hwm;

    /// <summary>Starts watching one step; dispose the monitor (after the step) to stop, and read <see cref="Monitor.Peak"/>.</summary>
    public Monitor Watch()
    {
        if (PeakResetWorks)
        {
            try
            {
                File.WriteAllText(_clearRefs, "5");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                PeakResetWorks = false;
            }
        }

        return new Monitor(this);
    }

    private static (long Rss, long Hwm) ReadStatus(string path)
    {
        var bytes = ReadStatusFields(path, "VmRSS:", "VmHWM:");
        return (bytes[0], bytes[1]);
    }

    /// <summary>The named fields ("VmRSS:" and the like) of a /proc status file, in bytes; 0 for one it does not list.</summary>
    private static long[] ReadStatusFields(string path, params string[] names)
    {
        var bytes = new long[names.Length];
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                for (var i = 0; i < names.Length; i++)
                {
                    if (line.StartsWith(names[i], StringComparison.Ordinal))
                    {
                        bytes[i] = ParseKilobytes(line);
                        break;
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BenchmarkException($"cannot read {path} (did the server exit?): {e.Message}");
        }

        return bytes;
    }

    /// <summary>"VmRSS:\t  123456 kB" to bytes.</summary>
    private static long ParseKilobytes(string line)
    {
        var digits = line.AsSpan(line.IndexOf(':') + 1).Trim();
        digits = digits[..digits.IndexOf(' ')];
        return long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture) * 1024;
    }

    public sealed class Monitor : IAsyncDisposable
    {
        private readonly ServerMemory _owner;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _sampler;
        private readonly double _serverCpuAtStart;
        private readonly Dictionary<string, double> _tierUpAtStart;
        private readonly Dictionary<string, double> _tierUpSeen;
        private readonly TimeSpan _clientCpuAtStart;
        private long _sampledPeak;

        internal Monitor(ServerMemory owner)
        {
            _owner = owner;
            _sampledPeak = owner.Read().Rss;
            _serverCpuAtStart = owner.CpuSeconds();
            _tierUpAtStart = owner.TierUpJitSeconds();
            _tierUpSeen = new Dictionary<string, double>(_tierUpAtStart, StringComparer.Ordinal);
            _clientCpuAtStart = Environment.CpuUsage.TotalTime;
            _sampler = SampleAsync();
        }

        /// <summary>CPU seconds the server used during the step.</summary>
        public double ServerCpuSeconds { get; private set; }

        /// <summary>Of <see cref="ServerCpuSeconds"/>, the seconds of the server's background tier-up JIT thread.</summary>
        public double ServerTierUpSeconds { get; private set; }

        /// <summary>CPU seconds this benchmark used during the step (generating, hashing, HTTP).</summary>
        public double ClientCpuSeconds { get; private set; }

        /// <summary>The step's peak RSS in bytes: the larger of the sampled maximum and VmHWM (when it was reset for the step).</summary>
        public long Peak { get; private set; }

        public int Samples { get; private set; }

        /// <summary>What the RSS was made of when the step ended.</summary>
        public Resident AtEnd { get; private set; }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _sampler;
            _stop.Dispose();
            ServerCpuSeconds = _owner.CpuSeconds() - _serverCpuAtStart;
            Merge(_tierUpSeen, _owner.TierUpJitSeconds());
            ServerTierUpSeconds = TierUpGrowth(_tierUpAtStart, _tierUpSeen);
            ClientCpuSeconds = (Environment.CpuUsage.TotalTime - _clientCpuAtStart).TotalSeconds;
            var (rss, hwm) = _owner.Read();
            AtEnd = _owner.ReadResident();
            Peak = Math.Max(Math.Max(_sampledPeak, rss), _owner.PeakResetWorks ? hwm : 0);
        }

        private async Task SampleAsync()
        {
            using var timer = new PeriodicTimer(SampleInterval);
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token))
                {
                    _sampledPeak = Math.Max(_sampledPeak, _owner.Read().Rss);
                    if (++Samples % 10 == 0)
                    {
                        Merge(_tierUpSeen, _owner.TierUpJitSeconds());
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // The step ended.
            }
        }
    }
}
