using System.Buffers;
using DropSync.Core.Content;
using DropSync.Core.Ports;

namespace DropSync.Core.Files;

/// <summary>
/// A file's content as a read-only, seekable stream over its blocks, fetched one at a time into one pooled buffer the
/// size of its largest block (so memory stays at one block whatever the file's size, no block gets an array of its own,
/// and a small file's download does not hold a 4 MiB buffer). Each block is
/// verified by the block store. The content hash is checked too: for the usual 4 MiB-aligned blocks it follows from the
/// verified blocks' names, so it is checked before the first byte is delivered, at no cost per byte; for other block
/// lists, when the whole file is read from the start in order, by hashing what is read. A mismatch fails the read
/// rather than delivering wrong bytes.
/// </summary>
public sealed class BlockContentStream : Stream
{
    private readonly IBlockStore _store;
    private readonly IReadOnlyList<BlockRef> _blocks;
    private readonly long[] _offsets;
    private readonly string _expectedContentHash;
    private readonly long _length;
    private readonly bool _aligned;
    private bool _namesChecked;
    private ContentHasher? _hasher;
    private long _hashedUpTo;
    private long _position;
    private int _cachedIndex = -1;
    private IMemoryOwner<byte>? _buffer;

    /// <summary>The largest block's size: what the buffer must hold. A small file's response rents that much, not 4 MiB.</summary>
    private readonly int _largestBlock;

    public BlockContentStream(IBlockStore store, IReadOnlyList<BlockRef> blocks, string expectedContentHash)
    {
        _store = store;
        _blocks = blocks;
        _expectedContentHash = expectedContentHash;
        _offsets = new long[blocks.Count + 1];
        for (var i = 0; i < blocks.Count; i++)
        {
            _offsets[i + 1] = _offsets[i] + blocks[i].Size;
        }

        _length = _offsets[^1];
        _largestBlock = blocks.Count == 0 ? 0 : blocks.Max(b => b.Size);
        // A block-list hash, like the pieces hash of aligned blocks, follows from the names alone.
        _aligned = ContentHash.KindOf(expectedContentHash) == ContentHashKind.BlockList || ContentHasher.IsPieceAligned(blocks);
        _hasher = _aligned ? null : new ContentHasher();
    }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => _position = value is >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (_position >= _length || destination.IsEmpty)
        {
            CheckNames();
            VerifyIfComplete();
            return 0;
        }

        var piece = await CurrentPieceAsync(destination.Length, cancellationToken);
        piece.CopyTo(destination);
        Advance(piece.Span);
        return piece.Length;
    }

    /// <summary>
    /// Writes <paramref name="count"/> bytes from the current position to <paramref name="destination"/> straight from the
    /// block buffer (no copy through a buffer of the caller's), with the same checks as reading.
    /// </summary>
    public async Task CopyToAsync(Stream destination, long count, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        while (count > 0)
        {
            if (_position >= _length)
            {
                throw new InvalidDataException("The file's content ended before its recorded size.");
            }

            var piece = await CurrentPieceAsync((int)Math.Min(count, int.MaxValue), cancellationToken);
            await BlockBuffers.WriteChunkedAsync(destination, piece, cancellationToken);
            Advance(piece.Span);
            count -= piece.Length;
        }

        CheckNames();
        VerifyIfComplete();
    }

    /// <summary>The bytes from the current position to the end of its block (at most <paramref name="max"/>), loading that block if needed.</summary>
    private async ValueTask<ReadOnlyMemory<byte>> CurrentPieceAsync(int max, CancellationToken cancellationToken)
    {
        CheckNames();
        var index = Array.BinarySearch(_offsets, _position);
        if (index < 0)
        {
            index = ~index - 1;
        }

        if (index != _cachedIndex)
        {
            _buffer ??= BlockBuffers.RentFor(_largestBlock);
            _cachedIndex = -1;
            int n;
            try
            {
                n = await _store.ReadIntoAsync(_blocks[index].Hash, _buffer.Memory, cancellationToken);
            }
            catch (ArgumentException e) when (_buffer.Memory.Length < Limits.MaxBlockSize)
            {
                // The buffer is sized to the recorded blocks: a stored block that does not fit is not the one recorded.
                throw new InvalidDataException($"Block {_blocks[index].Hash} is larger than the {_blocks[index].Size} bytes recorded.", e);
            }

            if (n != _blocks[index].Size)
            {
                throw new InvalidDataException($"Block {_blocks[index].Hash} is {n} bytes, not the {_blocks[index].Size} recorded.");
            }

            _cachedIndex = index;
        }

        var within = (int)(_position - _offsets[index]);
        return _buffer!.Memory.Slice(within, Math.Min(max, _blocks[index].Size - within));
    }

    /// <summary>For aligned blocks or a block-list hash the content hash is a function of the names, which the store verifies every block against.</summary>
    private void CheckNames()
    {
        if (!_aligned || _namesChecked)
        {
            return;
        }

        var actual = ContentHash.FromNames(_blocks, ContentHash.KindOf(_expectedContentHash));
        if (actual != _expectedContentHash)
        {
            throw new InvalidDataException($"The blocks recorded make content hash {actual}, not the recorded {_expectedContentHash}.");
        }

        _namesChecked = true;
    }

    private void Advance(ReadOnlySpan<byte> delivered)
    {
        if (_hasher is not null)
        {
            if (_position == _hashedUpTo)
            {
                _hasher.Append(delivered);
                _hashedUpTo += delivered.Length;
            }
            else
            {
                // Not read in order from the start (a range request): the per-block checks still hold.
                _hasher.Dispose();
                _hasher = null;
            }
        }

        _position += delivered.Length;
        VerifyIfComplete();
    }

    private void VerifyIfComplete()
    {
        if (_hasher is null || _hashedUpTo != _length)
        {
            return;
        }

        var actual = _hasher.GetHashHex();
        _hasher.Dispose();
        _hasher = null;
        if (actual != _expectedContentHash)
        {
            throw new InvalidDataException($"The content read hashes to {actual}, not the recorded {_expectedContentHash}.");
        }
    }

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => _length + offset,
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        _hasher?.Dispose();
        _hasher = null;
        if (_buffer is not null)
        {
            _buffer.Dispose();
            _buffer = null;
            _cachedIndex = -1;
        }

        base.Dispose(disposing);
    }
}
