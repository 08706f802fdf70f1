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
}
