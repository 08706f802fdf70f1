using ZstdSharp;

namespace DropSync.Embedded.Blocks;

/// <summary>What <see cref="CompressionDecision.Decide"/> concluded about a block.</summary>
public enum CompressionVerdict
{
    /// <summary>Worth compressing: the whole block is compressed (and still stored raw if that saves too little).</summary>
    Compress,

    /// <summary>Starts with the signature of an already-compressed format (archive, image, audio, video): stored raw.</summary>
    SkipKnownFormat,

    /// <summary>A zstd probe of the block's start saved less than a tenth: stored raw.</summary>
    SkipIncompressible,

    /// <summary>Too small for any saving to outweigh the compressed frame's overhead: stored raw.</summary>
    SkipTooSmall,
}

/// <summary>
/// Decides cheaply whether a block is worth compressing, so that incompressible data (most bytes people sync by volume:
/// photos, video, archives) costs a signature check or a probe of its first <see cref="ProbeSize"/> bytes rather than a
/// whole compression that is thrown away.
/// </summary>
public static class CompressionDecision
{
    /// <summary>Compression is kept only if it saves at least 1/10 of what was compressed.</summary>
    public const int MinSavingDivisor = 10;

    /// <summary>Blocks of at least twice this are judged by zstd on their first this-many bytes; smaller ones are simply tried whole.</summary>
    public const int ProbeSize = 16 * 1024;

    /// <summary>Below this a zstd frame's header and block overhead eat most of any saving.</summary>
    public const int MinCompressibleSize = 64;

    /// <summary>Judges <paramref name="block"/>; <paramref name="probe"/> is a zstd compressor to try the block's start with (level 1 is what the store uses).</summary>
    public static CompressionVerdict Decide(ReadOnlySpan<byte> block, Compressor probe)
    {
        ArgumentNullException.ThrowIfNull(probe);
        if (block.Length < MinCompressibleSize)
        {
            return CompressionVerdict.SkipTooSmall;
        }

        if (StartsWithCompressedFormat(block))
        {
            return CompressionVerdict.SkipKnownFormat;
        }

        if (block.Length < 2 * ProbeSize)
        {
            return CompressionVerdict.Compress;
        }

        // A destination a tenth short of the probe: zstd reports "too small" as soon as it cannot save that much.
        Span<byte> scratch = stackalloc byte[ProbeSize - (ProbeSize / MinSavingDivisor)];
        return probe.TryWrap(block[..ProbeSize], scratch, out _) ? CompressionVerdict.Compress : CompressionVerdict.SkipIncompressible;
    }

    /// <summary>
    /// Whether <paramref name="start"/> begins with the signature of a format whose payload is already compressed. Only a
    /// file's first block carries it; later blocks of the same file are caught by the probe.
    /// </summary>
    public static bool StartsWithCompressedFormat(ReadOnlySpan<byte> start) =>
        start.StartsWith("PK\x03\x04"u8) // zip, and every format built on it: docx/xlsx/pptx, jar, apk, epub, odt
        || start.StartsWith((ReadOnlySpan<byte>)[0x1F, 0x8B]) // gzip (.gz, .tgz)
        || start.StartsWith((ReadOnlySpan<byte>)[0x28, 0xB5, 0x2F, 0xFD]) // zstd frame
        || start.StartsWith((ReadOnlySpan<byte>)[0x04, 0x22, 0x4D, 0x18]) // lz4 frame
        || start.StartsWith((ReadOnlySpan<byte>)[0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) // xz
        || start.StartsWith("BZh"u8) // bzip2
        || start.StartsWith((ReadOnlySpan<byte>)[0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]) // 7z
        || start.StartsWith("Rar!\x1A\x07"u8) // rar
        || start.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]) // JPEG
        || start.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) // PNG
        || start.StartsWith("GIF8"u8) // GIF
        || (start.Length >= 12 && start.StartsWith("RIFF"u8) && start[8..12].SequenceEqual("WEBP"u8)) // WebP
        || (start.Length >= 12 && start[4..8].SequenceEqual("ftyp"u8)) // ISO media: mp4, mov, m4a, heic, avif, 3gp
        || start.StartsWith((ReadOnlySpan<byte>)[0x1A, 0x45, 0xDF, 0xA3]) // Matroska / WebM
        || start.StartsWith("OggS"u8) // Ogg (Vorbis, Opus, Theora)
        || start.StartsWith("fLaC"u8) // FLAC
        || start.StartsWith("ID3"u8); // MP3 with an ID3v2 tag
}
