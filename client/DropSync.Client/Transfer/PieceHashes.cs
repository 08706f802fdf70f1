using System.Buffers;
using System.Security.Cryptography;
using DropSync.Core.Content;
using Microsoft.Win32.SafeHandles;

namespace DropSync.Client.Transfer;

/// <summary>
/// The content hash of a file whose blocks are written out of order (a download), computed while it is written: each
/// 4 MiB piece is hashed (read back from the page cache, on the thread pool) as soon as all its bytes are written, so
/// the check after the last block is one SHA-256 over the piece digests, not a second pass over the whole file.
/// </summary>
internal sealed class PieceHashes : IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly long _length;
    private readonly long[] _unwritten;
    private readonly byte[] _digests;
    private readonly List<Task> _hashing = [];
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _cores = new(Math.Max(1, Environment.ProcessorCount));
    private readonly CancellationToken _ct;

    public PieceHashes(SafeFileHandle handle, long length, CancellationToken ct)
    {
        _handle = handle;
        _length = length;
        _ct = ct;
        var pieces = (int)((length + ContentHasher.PieceSize - 1) / ContentHasher.PieceSize);
        _unwritten = new long[pieces];
        for (var i = 0; i < pieces; i++)
        {
            _unwritten[i] = PieceLength(i);
        }

        _digests = new byte[pieces * 32];
    }

    /// <summary>Bytes [<paramref name="offset"/>, +<paramref name="size"/>) are in the file: pieces now complete start hashing.</summary>
    public void Written(long offset, int size)
    {
        var end = Math.Min(_length, offset + size);
        for (var i = (int)(offset / ContentHasher.PieceSize); i < _unwritten.Length && (long)i * ContentHasher.PieceSize < end; i++)
        {
            var pieceStart = (long)i * ContentHasher.PieceSize;
            var overlap = Math.Min(end, pieceStart + PieceLength(i)) - Math.Max(offset, pieceStart);
            lock (_lock)
            {
                _unwritten[i] -= overlap;
                if (_unwritten[i] == 0)
                {
                    var piece = i;
                    _hashing.Add(Task.Run(() => HashPieceAsync(piece), _ct));
                }
            }
        }
    }

    /// <summary>The content hash, once every piece is hashed; throws if a byte of the file was never written.</summary>
    public async Task<string> ContentHashAsync()
    {
        Task[] pending;
        lock (_lock)
        {
            if (_unwritten.Any(u => u != 0))
            {
                throw new InvalidOperationException("Part of the file was never written; it has no content hash yet.");
            }

            pending = [.. _hashing];
        }

        await Task.WhenAll(pending);
        using var hasher = new ContentHasher();
        for (var i = 0; i < _unwritten.Length; i++)
        {
            hasher.AppendPieceDigest(_digests.AsSpan(i * 32, 32), (int)PieceLength(i));
        }

        return hasher.GetHashHex();
    }

    /// <summary>Waits, without throwing, for the pieces being hashed: none may still read the file once it is closed.</summary>
    public Task DrainAsync()
    {
        lock (_lock)
        {
            return Task.WhenAll(_hashing).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    public void Dispose() => _cores.Dispose();

    private long PieceLength(int piece) => Math.Min(ContentHasher.PieceSize, _length - ((long)piece * ContentHasher.PieceSize));

    private async Task HashPieceAsync(int piece)
    {
        // At most one piece per core: a burst of finished pieces must not take every pool thread from the transfers.
        await _cores.WaitAsync(_ct);
        var length = (int)PieceLength(piece);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var offset = (long)piece * ContentHasher.PieceSize;
            var read = 0;
            while (read < length)
            {
                var n = RandomAccess.Read(_handle, buffer.AsSpan(read, length - read), offset + read);
                if (n == 0)
                {
                    throw new IOException("The file being downloaded ended early.");
                }

                read += n;
            }

            SHA256.HashData(buffer.AsSpan(0, length), _digests.AsSpan(piece * 32, 32));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            _cores.Release();
        }
    }
}
