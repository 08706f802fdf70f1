using DropSync.Core.Content;
using DropSync.Core.Ports;

namespace DropSync.Core.Files;

/// <summary>
/// A file's content as a read-only, seekable stream over its blocks, fetched one at a time (so memory stays at one block
/// whatever the file's size). Each block is verified by the block store; when the whole file is read from the start in
/// order, the content hash is checked too and a mismatch fails the read rather than delivering wrong bytes.
/// </summary>
public sealed class BlockContentStream : Stream
{
    private readonly IBlockStore _store;
    private readonly IReadOnlyList<BlockRef> _blocks;
    private readonly long[] _offsets;
    private readonly string _expectedContentHash;
    private readonly long _length;
    private ContentHasher? _hasher = new();
    private long _hashedUpTo;
    private long _position;
    private int _cachedIndex = -1;
    private byte[] _cached = [];

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
            VerifyIfComplete();
            return 0;
        }

        var index = Array.BinarySearch(_offsets, _position);
        if (index < 0)
        {
            index = ~index - 1;
        }

        if (index != _cachedIndex)
        {
            _cached = await _store.ReadAsync(_blocks[index].Hash, cancellationToken);
            if (_cached.Length != _blocks[index].Size)
            {
                throw new InvalidDataException($"Block {_blocks[index].Hash} is {_cached.Length} bytes, not the {_blocks[index].Size} recorded.");
            }

            _cachedIndex = index;
        }

        var within = (int)(_position - _offsets[index]);
        var n = Math.Min(destination.Length, _cached.Length - within);
        _cached.AsMemory(within, n).CopyTo(destination);
        if (_hasher is not null)
        {
            if (_position == _hashedUpTo)
            {
                _hasher.Append(_cached.AsSpan(within, n));
                _hashedUpTo += n;
            }
            else
            {
                // Not read in order from the start (a range request): the per-block checks still hold.
                _hasher.Dispose();
                _hasher = null;
            }
        }

        _position += n;
        VerifyIfComplete();
        return n;
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
        base.Dispose(disposing);
    }
}
