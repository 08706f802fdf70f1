namespace DropSync.Core.Content;

/// <summary>Hard limits of the service, shared by server and clients.</summary>
public static class Limits
{
    /// <summary>A block is at most 4 MiB: the unit of dedup, transfer and encryption.</summary>
    public const int MaxBlockSize = 4 * 1024 * 1024;

    /// <summary>A file is at most 10 GiB.</summary>
    public const long MaxFileSize = 10L * 1024 * 1024 * 1024;

    /// <summary>Most blocks a file can have (10 GiB of 4 MiB blocks, with room for content-defined chunk sizes).</summary>
    public const int MaxBlocksPerFile = 65_536;

    /// <summary>
    /// Most blocks one run (embedded mode's <c>GET</c> or <c>PUT /blocks/run</c>) carries: per request the server pays
    /// its request pipeline once, so eight blocks cut a 1 GiB file's ~460 GETs or PUTs to ~60, and a file of a few runs
    /// still has several in flight.
    /// </summary>
    public const int MaxRunBlocks = 8;

    /// <summary>Most bytes one run carries (the sum of its blocks' sizes): a run is a bounded response or request body.</summary>
    public const int MaxRunBytes = 16 * 1024 * 1024;
}
