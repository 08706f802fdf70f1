namespace DropSync.Benchmarks;

/// <summary>
/// The files a run moves: one seed and path for the media steps, another for the resumable ones (two different files,
/// so the second upload cannot dedup against the first). The warm-up uses seeds of its own so that its blocks are not
/// the measured files' first blocks already stored.
/// </summary>
internal sealed record Workload(ulong MediaSeed, string MediaPath, ulong ResumableSeed, string ResumablePath)
{
    public static Workload Measured { get; } = new(0x6D656469615F3031, "/bench/media.bin", 0x726573756D5F3032, "/bench/resumable.bin");

    public static Workload WarmUp { get; } = new(0x7761726D5F6D3033, "/bench/warm-up-media.bin", 0x7761726D5F723034, "/bench/warm-up-resumable.bin");

    /// <summary>
    /// The warm-up's files for pass <paramref name="pass"/> (0 = <see cref="WarmUp"/>): new seeds each pass, so that every
    /// pass stores new blocks (a repeated file would find its blocks stored and skip the PUTs and writes being warmed).
    /// </summary>
    public static Workload WarmUpPass(int pass) => pass == 0
        ? WarmUp
        : new(WarmUp.MediaSeed + (ulong)pass, WarmUp.MediaPath, WarmUp.ResumableSeed + (ulong)pass, WarmUp.ResumablePath);
}
