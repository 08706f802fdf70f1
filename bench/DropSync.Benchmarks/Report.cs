using System.Globalization;

namespace DropSync.Benchmarks;

/// <summary>The final figures on stdout: an aligned table, the memory lines and the machine's reference figures.</summary>
internal static class Report
{
    private const string FallbackReference =
        "One core, .NET 10: SHA-256 1.8 GB/s, BLAKE3 2.9 GB/s, AES-256-GCM 4.2 GB/s, a plain gear-hash scan 1.7 GB/s. " +
        "Disk: ~1.9 GB/s write, ~1.1 GB/s read (direct I/O). Loopback TCP, one stream: ~3.5 GB/s.";

    public static void Print(TransferReport report)
    {
        var c = CultureInfo.InvariantCulture;
        var root = BenchServer.FindRoot(AppContext.BaseDirectory) ?? Environment.CurrentDirectory;
        var server = Path.GetRelativePath(root, report.ServerAssembly);
        var overallPeak = Math.Max(report.StartupPeakRss, report.Steps.Max(s => s.ServerPeakRss));

        Console.WriteLine();
        Console.WriteLine(string.Create(c, $"DropSync transfer benchmark: {ByteSize.Format(report.Size)} per file, --parallel {report.Parallel}, {Environment.ProcessorCount} cores"));
        Console.WriteLine($"server: {server} ({report.Configuration}), fresh data folder, loopback");
        Console.WriteLine(report.WarmUp > 0
            ? string.Create(
                c,
                $"warm-up: every step {report.WarmUpTierUpSeconds.Count} time(s) with {ByteSize.Format(report.WarmUp)} files before the measured steps; the server's background tier-up JIT per pass: {string.Join(", ", report.WarmUpTierUpSeconds.Select(s => s.ToString("0.00", c)))} CPU-s")
            : "no warm-up: the first step's figures include the server's first-use JIT compilation");
        Console.WriteLine("MiB/s = 2^20 bytes/s; GB/s = 10^9 bytes/s (the unit of the reference figures); seconds are wall time of the whole step");
        Console.WriteLine();
        Console.WriteLine(string.Create(c, $"{"step",-18} {"size",10} {"seconds",9} {"MiB/s",9} {"GB/s",7} {"server peak RSS",16} {"server CPU",12} {"of it JIT",9} {"client CPU",12}"));
        Console.WriteLine(new string('-', 18 + 1 + 10 + 1 + 9 + 1 + 9 + 1 + 7 + 1 + 16 + 1 + 12 + 1 + 9 + 1 + 12));
        foreach (var step in report.Steps)
        {
            Console.WriteLine(string.Create(
                c,
                $"{step.Name,-18} {ByteSize.Format(step.Bytes),10} {step.Seconds,9:0.00} {step.MebibytesPerSecond,9:0.0} {step.GigabytesPerSecond,7:0.000} {ByteSize.Mebibytes(step.ServerPeakRss),16} {Cpu(step.Monitor.ServerCpuSeconds, step.Seconds),12} {step.Monitor.ServerTierUpSeconds,7:0.00} s {Cpu(step.Monitor.ClientCpuSeconds, step.Seconds),12}"));
        }

        Console.WriteLine();
        Console.WriteLine($"server RSS before the first upload: {ByteSize.Mebibytes(report.BaselineRss)} (peak during start-up and login: {ByteSize.Mebibytes(report.StartupPeakRss)}; server CPU by then: {report.StartupCpuSeconds.ToString("0.00", c)} s)");
        foreach (var step in report.Steps)
        {
            Console.WriteLine($"peak RSS during {step.Name}: {ByteSize.Mebibytes(step.ServerPeakRss)} (baseline {ByteSize.Mebibytes(report.BaselineRss)}); at its end {step.Monitor.AtEnd}");
        }

        Console.WriteLine($"server peak RSS overall: {ByteSize.Mebibytes(overallPeak)}");
        Console.WriteLine(report.ExactPeaks
            ? "  (per-step peaks: the kernel's VmHWM, reset before each step via /proc/<pid>/clear_refs, and VmRSS sampled every 50 ms)"
            : "  (per-step peaks: VmRSS sampled every 50 ms; the kernel refused to reset VmHWM per step)");
        Console.WriteLine("  (CPU: seconds of CPU time during the step, and that as a share of one core over the step's wall time; 2 cores = 200%)");
        Console.WriteLine("  (of it JIT: the server's background tier-up thread, re-compiling hot methods; a cost per process, not per GiB)");
        Console.WriteLine($"client (this benchmark) peak RSS: {ByteSize.Mebibytes(report.ClientPeakRss)}");
        Console.WriteLine();
        foreach (var step in report.Steps)
        {
            Console.WriteLine($"{step.Name}: {step.Detail}");
        }

        Console.WriteLine(string.Create(
            c,
            $"client ceiling: generating + SHA-256 of a file's blocks on {Environment.ProcessorCount} cores runs at {report.Size / (double)ByteSize.MiB / report.ClientHashSeconds:0} MiB/s (server idle)"));
        Console.WriteLine();
        Console.WriteLine("reference (../shared/README.md, this kind of machine):");
        Console.WriteLine("  " + ReferenceFigures(root));
    }

    private static string Cpu(double cpuSeconds, double wallSeconds) =>
        string.Create(CultureInfo.InvariantCulture, $"{cpuSeconds:0.00} s {100 * cpuSeconds / wallSeconds,4:0}%");

    /// <summary>The "Reference figures" paragraph of ../shared/README.md, or the figures as they were when this was written.</summary>
    private static string ReferenceFigures(string root)
    {
        try
        {
            var readme = Path.Combine(root, "..", "shared", "README.md");
            var lines = File.ReadAllLines(readme);
            var start = Array.FindIndex(lines, l => l.StartsWith("## Reference figures", StringComparison.Ordinal));
            if (start >= 0)
            {
                var body = lines.Skip(start + 1).TakeWhile(l => !l.StartsWith('#') && l.Length > 0).ToList();
                if (body.Count > 0)
                {
                    return lines[start].TrimStart('#', ' ') + ": " + string.Join(" ", body);
                }
            }
        }
        catch (IOException)
        {
            // Fall back below.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }

        return FallbackReference + " 2 cores.";
    }
}
