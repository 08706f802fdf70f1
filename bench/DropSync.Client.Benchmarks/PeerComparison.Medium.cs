using DropSync.Testing;

/// <summary>
/// <c>--peers --only medium [--medium-files 32] [--medium-mib 32]</c>: dropsync alone, one account's folder of that many
/// random files of that size up, then down to a second device in one pass, each step's time, CPU, managed allocations
/// and page faults printed (<see cref="SyncAsync"/>). The 1 GiB step is one download; this one shows what is paid per
/// download (a download's piece buffers, its block list request, its part file and fsync).
/// </summary>
internal static partial class PeerComparison
{
    private static async Task MediumFilesAsync(ServerProcess server, HttpClient http, string work, int files, int mib, int round)
    {
        Console.WriteLine($"medium files, round {round}: {files} files of {mib} MiB (dropsync only)...");
        await using var a = await DeviceAsync(server, http, work, $"medium-{round}");
        for (var i = 0; i < files; i++)
        {
            await RandomFile.WriteAsync(Path.Combine(a.Folder, $"m{i:000}.bin"), mib * 1024L * 1024, seed: (1000 * round) + i);
        }

        var up = await SyncAsync(a);
        Console.WriteLine($"{files} × {mib} MiB, first sync up: {up.Elapsed.TotalSeconds:0.00} s (CPU: client {up.Cpu.Client.TotalSeconds:0.00} s, server {up.Cpu.Server.TotalSeconds:0.00} s)");
        await using var b = await DeviceAsync(server, http, work, $"medium-{round}", a.Email);
        var down = await SyncAsync(b);
        Console.WriteLine($"{files} × {mib} MiB, first sync down: {down.Elapsed.TotalSeconds:0.00} s (CPU: client {down.Cpu.Client.TotalSeconds:0.00} s, server {down.Cpu.Server.TotalSeconds:0.00} s), {down.Report.FilesDownloaded} files");
        BenchFiles.TryDelete(a.Folder);
        BenchFiles.TryDelete(b.Folder);
    }
}
