using System.Buffers.Binary;
using System.IO.Hashing;
using DropSync.Core.Content;

namespace DropSync.Client.Chunking;

/// <summary>
/// The blocks of a file's previous scan, each with its length, SHA-256 name and XXH128 digest, so a re-scan names a
/// block whose bytes did not change without running the FastCDC gear loop or SHA-256 over it (what rsync does with
/// its rolling checksum and xxh128): after a one-byte insert in 1 GiB, about 1 GiB is hashed with XXH128 (~10 GB/s)
/// and only the one or two new blocks are cut and SHA-256'd.
/// <para>
/// <b>Why the list equals a full scan's.</b> The re-scan tries a known block only at a boundary of its own scan, and
/// takes it only if the bytes there have its length and XXH128. FastCDC's cut from a boundary depends on the bytes of
/// the block alone (the gear hash restarts at each block's minimum size and the first match ends the block; a cut
/// forced at the maximum size is the same over the same bytes), except a previous version's last block, whose end was
/// the end of the file: it is taken only where the new file ends with it too. Both versions must be cut with the same
/// <see cref="ChunkerOptions"/> (the size class goes by length). So the same bytes give the same block and the same
/// name; <c>KnownBlocksTests</c> checks it against full scans over random edits. A downloaded file's list is the
/// uploader's cut: the same as this device's when it was cut with the same options (dropsync clients of one size
/// class); another cut's blocks mostly fail the cut filter in <see cref="Match"/> and are cut afresh, and one that
/// passes it (a 4 MiB block, which has no cut filter) is still the true name of those bytes, so the list stays a valid
/// block list of the file, though not necessarily the one a fresh scan here would cut.
/// </para>
/// <para>
/// <b>The risk, honestly.</b> XXH128 is not a cryptographic hash. (1) An accidental collision, a changed block with
/// the same length and 128-bit digest as the known one tried at its place, has a chance of about 2^-128 per try
/// (a few tries per block): far below disk or memory error rates. (2) A crafted collision is possible for someone who
/// writes both versions of that region of the user's file: XXH128 is not collision resistant. The digests are keyed
/// with a random per-index seed (<see cref="Seed"/>), which raises the bar (the attacker must learn it) but is no
/// proof. What a wrong name costs: if the server lacks the named block, it hashes every PUT block and refuses it
/// (<c>block_hash_mismatch</c>); the client then forgets these digests and the next sync scans afresh. If the server
/// has it (the block of the previous version), the new revision holds the previous version's bytes for that block:
/// the remote copy shows what the file held before in that region, i.e. bytes the attacker also chose. No other
/// file, user or block is affected, and the server's guarantees (every block verified on write and read, the content
/// hash over the stored bytes) hold for what it stores. The previous-version list comes only from this device: its own
/// scans, or its own downloads, whose digests it made over the bytes it wrote, recorded only once each block was checked
/// against its name or the whole file against its content hash (the names are the server's, each verified there too).
/// </para>
/// </summary>
public sealed class KnownBlocks
{
    /// <summary>Bytes per block in <see cref="Encode"/>'s form: length (4), SHA-256 (32), XXH128 (16).</summary>
    private const int EntryBytes = 4 + 32 + 16;

    private readonly (int Size, BlockHash Hash, UInt128 Fast)[] _blocks;
    private readonly long[] _offsets;
    private readonly Dictionary<long, int> _byOffset = [];
    private readonly long _shift;
    private readonly ChunkerOptions _options;
    private int _next;

    private KnownBlocks((int Size, BlockHash Hash, UInt128 Fast)[] blocks, long newLength, ChunkerOptions options, long seed)
    {
        _blocks = blocks;
        _offsets = new long[blocks.Length + 1];
        for (var i = 0; i < blocks.Length; i++)
        {
            _byOffset[_offsets[i]] = i;
            _offsets[i + 1] = _offsets[i] + blocks[i].Size;
        }

        OldLength = _offsets[^1];
        _shift = newLength - OldLength;
        _options = options;
        Seed = seed;
    }

    /// <summary>The previous version's length.</summary>
    public long OldLength { get; }

    /// <summary>The XXH128 seed the digests were made with (random per index).</summary>
    public long Seed { get; }

    /// <summary>Blocks taken from the previous scan so far (for tests and logs).</summary>
    public int Reused { get; private set; }

    /// <summary>The XXH128 digest a block's bytes are known by.</summary>
    public static UInt128 Digest(ReadOnlySpan<byte> block, long seed) => XxHash128.HashToUInt128(block, seed);

    /// <summary>
    /// The previous scan's blocks, to re-scan a file of <paramref name="newLength"/> bytes with; null when there is
    /// nothing to reuse or the file is now cut with other sizes (it crossed <see cref="ChunkerOptions.LargeFileThreshold"/>).
    /// </summary>
    public static KnownBlocks? For(ReadOnlySpan<byte> encoded, long seed, long newLength) => For(encoded, seed, newLength, null);

    /// <param name="options">The sizes both versions were cut with (tests cut small blocks); by default, by length.</param>
    internal static KnownBlocks? For(ReadOnlySpan<byte> encoded, long seed, long newLength, ChunkerOptions? options)
    {
        if (Decode(encoded) is not { } blocks)
        {
            return null;
        }

        long oldLength = 0;
        foreach (var (size, _, _) in blocks)
        {
            oldLength += size;
        }

        if (options is null)
        {
            options = ChunkerOptions.ForLength(newLength);
            if (options != ChunkerOptions.ForLength(oldLength))
            {
                return null;
            }
        }

        return new KnownBlocks(blocks, newLength, options, seed);
    }

    /// <summary>
    /// Each block name of a stored row with its XXH128 digest (a fact about bytes, whatever the file holds now: bytes
    /// with this digest are this block), or null when the row is not in the stored form.
    /// </summary>
    public static Dictionary<string, UInt128>? DigestsByName(ReadOnlySpan<byte> encoded)
    {
        if (Decode(encoded) is not { } blocks)
        {
            return null;
        }

        var digests = new Dictionary<string, UInt128>(blocks.Length, StringComparer.Ordinal);
        foreach (var (_, hash, fast) in blocks)
        {
            digests[hash.Hex] = fast;
        }

        return digests;
    }

    /// <summary>The entries of a stored row (<see cref="Encode"/>'s form), or null when it is not in that form.</summary>
    private static (int Size, BlockHash Hash, UInt128 Fast)[]? Decode(ReadOnlySpan<byte> encoded)
    {
        if (encoded.Length == 0 || encoded.Length % EntryBytes != 0)
        {
            return null;
        }

        var blocks = new (int, BlockHash, UInt128)[encoded.Length / EntryBytes];
        for (var i = 0; i < blocks.Length; i++)
        {
            var e = encoded.Slice(i * EntryBytes, EntryBytes);
            var size = BinaryPrimitives.ReadInt32LittleEndian(e);
            if (size <= 0 || size > Limits.MaxBlockSize)
            {
                return null;
            }

            blocks[i] = (size, BlockHash.FromDigest(e.Slice(4, 32)), BinaryPrimitives.ReadUInt128LittleEndian(e[36..]));
        }

        return blocks;
    }

    /// <summary>A scan's blocks in the stored form: per block its length, SHA-256 name and XXH128 digest.</summary>
    public static byte[] Encode(IReadOnlyList<Chunk> chunks)
    {
        var bytes = new byte[chunks.Count * EntryBytes];
        for (var i = 0; i < chunks.Count; i++)
        {
            var e = bytes.AsSpan(i * EntryBytes, EntryBytes);
            BinaryPrimitives.WriteInt32LittleEndian(e, chunks[i].Size);
            chunks[i].Hash.WriteDigest(e.Slice(4, 32));
            BinaryPrimitives.WriteUInt128LittleEndian(e[36..], chunks[i].Fast);
        }

        return bytes;
    }

    /// <summary>Whether these blocks were cut with <paramref name="options"/> (a re-scan must use the same sizes).</summary>
    public bool CutWith(ChunkerOptions options) => options == _options;

    /// <summary>
    /// The known block that starts <paramref name="data"/> (the file from a boundary of the scan at
    /// <paramref name="offset"/>: at least the maximum block size, or the rest of the file when <paramref name="atEnd"/>),
    /// or null. Tried: the block after the last one taken, the one that started at this offset, and the one that started
    /// where this offset was before the file's length changed (an insert or delete before it shifted the rest).
    /// </summary>
    public (int Size, BlockHash Hash, UInt128 Fast)? Match(ReadOnlySpan<byte> data, long offset, bool atEnd)
    {
        Span<int> candidates = [_next, _byOffset.GetValueOrDefault(offset, -1), _shift != 0 ? _byOffset.GetValueOrDefault(offset - _shift, -1) : -1];
        for (var c = 0; c < candidates.Length; c++)
        {
            var candidate = candidates[c];
            if (candidate < 0 || candidate >= _blocks.Length || candidates[..c].Contains(candidate))
            {
                continue;
            }

            var (size, _, fast) = _blocks[candidate];
            var last = candidate == _blocks.Length - 1;

            // The previous version's last block was cut by the end of that file: the same only where this file ends with it.
            if (size > data.Length || (last && !(atEnd && size == data.Length)))
            {
                continue;
            }

            // A cheap filter before the digest: a block cut by content ends where the gear hash matched.
            if (!last && size < _options.MaxSize && !FastCdc.EndsACut(data[..size], _options))
            {
                continue;
            }

            if (Digest(data[..size], Seed) == fast)
            {
                _next = candidate + 1;
                Reused++;
                return _blocks[candidate];
            }
        }

        return null;
    }
}
