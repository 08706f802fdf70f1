using System.Globalization;

/// <summary>
/// The figures of the side-by-side steps over <c>--repeat N</c> runs, for the summary table: with one run, each row as
/// before; with more, each tool's median time and the median of the per-run dropsync/peer ratios with their range.
/// A ratio is taken within a run (the tools ran back to back there), not between medians of different moments.
/// </summary>
internal sealed class PeerRuns
{
    private readonly List<Step> _steps = [];

    /// <summary>How many rounds each step runs.</summary>
    public int Rounds { get; init; } = 1;

    /// <summary>The order of round <paramref name="round"/> (from 1): as given in odd rounds, reversed in even ones.</summary>
    public static IReadOnlyList<T> InTurn<T>(int round, IReadOnlyList<T> tools) => round % 2 == 1 ? tools : [.. tools.Reverse()];

    public void AddTimes(string figure, long bytes, TimeRun run) => Find(figure, bytes).Times.Add(run);

    public void AddSent(string figure, long fileBytes, SentRun run) => Find(figure, fileBytes).Sent.Add(run);

    /// <summary>The Markdown rows, one per step, in the order the steps first ran.</summary>
    public IEnumerable<string> Rows() => _steps.Select(s => s.Times.Count > 0 ? TimeRow(s) : SentRow(s));

    private Step Find(string figure, long bytes)
    {
        var step = _steps.Find(s => s.Figure == figure);
        if (step is null)
        {
            step = new Step(figure, bytes);
            _steps.Add(step);
        }

        return step;
    }

    private static string TimeRow(Step s)
    {
        var runs = s.Times;
        string Cell(TimeSpan? t) => t is not { } v ? "—" : s.Bytes > 0 ? $"{s.Bytes / v.TotalSeconds / 1e6:0} MB/s ({v.TotalSeconds:0.00} s)" : $"{v.TotalSeconds:0.00} s";
        var ours = Median(runs.Select(r => r.Dropsync));
        var rsync = Median(runs.Select(r => r.Rsync));
        TimeSpan? rclone = runs.Any(r => r.Rclone is null) ? null : Median(runs.Select(r => r.Rclone!.Value));
        var cpu = $"CPU {Median(runs.Select(r => r.ClientCpu)).TotalSeconds:0.0} + {Median(runs.Select(r => r.ServerCpu)).TotalSeconds:0.0} s";
        var rsyncRatios = runs.Select(r => Ratio(r.Dropsync.Ticks, r.Rsync.Ticks)).ToList();
        var rcloneRatios = rclone is null ? [] : runs.Select(r => Ratio(r.Dropsync.Ticks, r.Rclone!.Value.Ticks)).ToList();
        return $"| {Label(s.Figure, runs.Count)} | {Cell(ours)}, {cpu} | {Cell(rsync)} | {Cell(rclone)} | {RatioCell(rsyncRatios)} | {RatioCell(rcloneRatios)} |";
    }

    private static string SentRow(Step s)
    {
        var ours = Median(s.Sent.Select(r => r.Dropsync));
        var rsync = Median(s.Sent.Select(r => r.Rsync));
        var ratios = s.Sent.Select(r => Ratio(r.Dropsync, r.Rsync)).ToList();
        return $"| {Label(s.Figure, s.Sent.Count)} | {MiB(ours)} | {MiB(rsync)} | {s.Bytes / 1024 / 1024} MiB (whole file) | {RatioCell(ratios)} | |";
    }

    private static string Label(string figure, int runs) => runs > 1 ? $"{figure} (median of {runs} runs)" : figure;

    /// <summary>The median ratio; with more than one run, its range too.</summary>
    private static string RatioCell(List<double?> ratios)
    {
        if (ratios.Count == 0 || ratios.Any(r => r is null))
        {
            return "—";
        }

        var values = ratios.Select(r => r!.Value).ToList();
        var median = Median(values).ToString("0.00", CultureInfo.InvariantCulture);
        return values.Count == 1 ? median : $"{median} ({values.Min().ToString("0.00", CultureInfo.InvariantCulture)}–{values.Max().ToString("0.00", CultureInfo.InvariantCulture)})";
    }

    private static double? Ratio(long ours, long theirs) => theirs > 0 ? ours / (double)theirs : null;

    private static TimeSpan Median(IEnumerable<TimeSpan> values) => TimeSpan.FromTicks((long)Median(values.Select(v => (double)v.Ticks)));

    private static long Median(IEnumerable<long> values) => (long)Median(values.Select(v => (double)v));

    /// <summary>The middle value; the mean of the two middle ones for an even count.</summary>
    internal static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        var mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static string MiB(long bytes) => $"{bytes / 1024.0 / 1024:0.00} MiB";

    private sealed record Step(string Figure, long Bytes)
    {
        public List<TimeRun> Times { get; } = [];

        public List<SentRun> Sent { get; } = [];
    }
}

/// <summary>One run of a timed step: each tool's time, and the CPU seconds dropsync's client and server spent.</summary>
internal sealed record TimeRun(TimeSpan Dropsync, TimeSpan Rsync, TimeSpan? Rclone, TimeSpan ClientCpu, TimeSpan ServerCpu);

/// <summary>One run of the one-byte insert's bytes sent: dropsync's block data and rsync's whole stream.</summary>
internal sealed record SentRun(long Dropsync, long Rsync);
