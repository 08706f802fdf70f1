using System.Collections.Concurrent;
using DropSync.Core.Content;
using ZstdSharp;

namespace DropSync.Embedded.Blocks;

/// <summary>zstd for block bodies: a pool of contexts, compression where <see cref="CompressionDecision"/> says it pays, and checked decompression.</summary>
internal sealed class BlockCompression : IDisposable
{
    /// <summary>zstd level 1: fast, and most of the gain of higher levels on the data people sync.</summary>
    private const int CompressionLevel = 1;

    private readonly ConcurrentBag<Compressor> _compressors = [];
    private readonly ConcurrentBag<Decompressor> _decompressors = [];

    /// <summary>Whether <see cref="TryCompress"/> would try (a probe of the block's start): false means the block is stored raw.</summary>
    public bool WorthTrying(ReadOnlySpan<byte> plaintext)
    {
        var compressor = _compressors.TryTake(out var pooled) ? pooled : new Compressor(CompressionLevel);
        try
        {
            return CompressionDecision.Decide(plaintext, compressor) == CompressionVerdict.Compress;
        }
        finally
        {
            _compressors.Add(compressor);
        }
    }

    /// <summary>Compresses into <paramref name="destination"/> if that saves at least a tenth; false means store raw.</summary>
    public bool TryCompress(ReadOnlySpan<byte> plaintext, Span<byte> destination, out int written)
    {
        written = 0;
        var compressor = _compressors.TryTake(out var pooled) ? pooled : new Compressor(CompressionLevel);
        try
        {
            if (CompressionDecision.Decide(plaintext, compressor) != CompressionVerdict.Compress)
            {
                return false;
            }

            // A destination a tenth short of the input: zstd reports "too small" as soon as it cannot save that much.
            var limit = plaintext.Length - (plaintext.Length / CompressionDecision.MinSavingDivisor);
            return compressor.TryWrap(plaintext, destination[..limit], out written);
        }
        finally
        {
            _compressors.Add(compressor);
        }
    }

    /// <summary>Decompresses a block body into exactly <paramref name="plaintext"/>; anything else means the file is corrupt.</summary>
    public void Decompress(BlockHash hash, ReadOnlySpan<byte> compressed, Span<byte> plaintext)
    {
        if (!_decompressors.TryTake(out var decompressor))
        {
            decompressor = new Decompressor();
        }

        bool whole;
        try
        {
            whole = decompressor.TryUnwrap(compressed, plaintext, out var written) && written == plaintext.Length;
        }
        catch (ZstdException)
        {
            // Authenticated bytes that are not a valid frame: written wrongly; nothing to reuse the context for.
            decompressor.Dispose();
            throw BlockFileFormat.Corrupt(hash, "it failed to decompress");
        }

        _decompressors.Add(decompressor);
        if (!whole)
        {
            throw BlockFileFormat.Corrupt(hash, "it decompressed to the wrong length");
        }
    }

    public void Dispose()
    {
        while (_compressors.TryTake(out var compressor))
        {
            compressor.Dispose();
        }

        while (_decompressors.TryTake(out var decompressor))
        {
            decompressor.Dispose();
        }
    }
}
