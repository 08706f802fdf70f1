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
    /// Most blocks one run GET (embedded mode's <c>GET /blocks/run</c>) carries: per GET the server pays its request
    /// pipeline once, so eight blocks cut a 1 GiB download's ~460 GETs to ~60, and a file of a few runs still has
    /// several in flight.
    /// </summary>
    public const int MaxRunBlocks = 8;

    /// <summary>Most bytes one run GET carries (the sum of its blocks' sizes): a run is a bounded response.</summary>
    public const int MaxRunBytes = 16 * 1024 * 1024;
}
