using System.Diagnostics;
using System.Globalization;
using DropSync.Client.Chunking;

/// <summary>
/// <c>--scan-only [--size-mib 1024] [--tries 5] [--file PATH]</c>: the upload's scan (FastCdc.ChunkAsync with the
/// sizes and fast digests the upload uses) over one file in the page cache, alone in the process, <c>--tries</c> times:
/// CPU-seconds, allocations and GCs per try, and a digest of the blocks' names so two builds can be seen to agree.
/// CPU-seconds rather than the clock, so figures taken on a loaded machine still compare.
/// </summary>
internal static class ScanOnly
{
    public static async Task RunAsync(string[] args)
    {
        var sizeMiB = Arg(args, "--size-mib", 1024);
        var tries = Arg(args, "--tries", 5);
        var given = Array.IndexOf(args, "--file") is var at and >= 0 ? args[at + 1] : null;
        var work = given is null ? Directory.CreateTempSubdirectory("dropsync-scan-bench-").FullName : null;
        try
        {
            var path = given ?? Path.Combine(work!, "big.bin");
            if (given is null)
            {
                await RandomFile.WriteAsync(path, sizeMiB * 1024L * 1024);
            }

            var length = new FileInfo(path).Length;
            using var self = Process.GetCurrentProcess();
            for (var i = 0; i < tries; i++)
            {
                self.Refresh();
                var cpu = self.TotalProcessorTime;
                var allocated = GC.GetTotalAllocatedBytes(true);
                var gcs = GC.CollectionCount(0);
                var clock = Stopwatch.StartNew();
                IReadOnlyList<Chunk> chunks;
                await using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
                {
                    chunks = await FastCdc.ChunkAsync(stream, ChunkerOptions.ForLength(length), fastSeed: 42);
                }

                var elapsed = clock.Elapsed;
                self.Refresh();
                var names = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(
                    System.Text.Encoding.ASCII.GetBytes(string.Join(',', chunks.Select(c => $"{c.Offset}:{c.Size}:{c.Hash.Hex}:{c.Fast}")))))[..16];
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"scan of {length / 1024 / 1024} MiB: {(self.TotalProcessorTime - cpu).TotalSeconds:0.000} CPU-s, {elapsed.TotalSeconds:0.000} s, " +
                    $"{(GC.GetTotalAllocatedBytes(true) - allocated) / 1024.0 / 1024:0.00} MiB allocated, {GC.CollectionCount(0) - gcs} gen0 GCs, " +
                    $"{chunks.Count} blocks, names {names}"));
            }
        }
        finally
        {
            if (work is not null)
            {
                Directory.Delete(work, true);
            }
        }
    }

    private static int Arg(string[] args, string name, int fallback) =>
        Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
