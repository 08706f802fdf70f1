using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using DropSync.Core.Content;

namespace DropSync.Core.Files;

/// <summary>
/// Hashes the content hash's 4 MiB pieces of a resumable upload while its blocks arrive, so that the finish finds every
/// piece digest remembered (<see cref="BlockListContentHash"/>) and reads no block back (before: a second decrypt and
/// two more SHA-256 passes over the whole file at the finish).
/// <para>Content-defined blocks do not line up with the pieces, and SHA-256 runs in order, so a session's blocks are
/// hashed in file order: the block the session needs next is hashed on the request that brought it (after the block
/// store verified it against its name, so no byte a client merely claims is hashed), a block that comes early is copied
/// and kept until its turn (the client sends in file order with a few in flight, so a few MiB are kept per upload, at
/// most <see cref="MaxHeldBytes"/> over all). A block that never comes here (the server already had it, it went to S3
/// directly, the budget ran out, the process restarted) only stops the hashing: the finish hashes the pieces still
/// missing from stored blocks, as before.</para>
/// </summary>
public sealed class UploadPieceHashing
{
    /// <summary>Early blocks kept, over all uploads (a copy each): beyond it a session stops hashing ahead.</summary>
    public const long MaxHeldBytes = 32L * 1024 * 1024;

    /// <summary>Sessions followed at once; the oldest is dropped past it (its finish then reads its blocks back).</summary>
    private const int MaxSessions = 64;

    /// <summary>
    /// Where the copies of early blocks come from: pooled, since most blocks of an upload with several PUTs in flight
    /// come early, and a fresh array each (about 1 MiB, on the large-object heap) grew the server by ~100 MiB per GiB
    /// uploaded until a full GC. The pool keeps at most what was in use at once.
    /// </summary>
    private static readonly ArrayPool<byte> EarlyCopies = ArrayPool<byte>.Create(ContentHasher.PieceSize, 16);

    private readonly ConcurrentDictionary<string, SessionPieces> _sessions = new(StringComparer.Ordinal);
    private long _heldBytes;

    /// <summary>Pieces hashed from arriving blocks since start (for tests and benchmarks).</summary>
    public long PiecesHashed => Interlocked.Read(ref _piecesHashed);

    private long _piecesHashed;

    /// <summary>
    /// Starts following an upload whose blocks are about to be PUT (no-op when its content hash needs no bytes).
    /// <paramref name="blocks"/> may be the first part of the list (they add up to less than <paramref name="size"/>, the
    /// file's; null when they are the whole list): <see cref="Extend"/> brings the rest.
    /// </summary>
    public void Begin(string uploadId, string userId, IReadOnlyList<BlockRef> blocks, long? size = null)
    {
        var declared = blocks.Sum(b => (long)b.Size);
        var whole = size is null || declared == size;
        if (whole && (blocks.Count == 0 || ContentHasher.IsPieceAligned(blocks)))
        {
            return;
        }

        while (_sessions.Count >= MaxSessions && _sessions.Values.MinBy(s => s.Started) is { } oldest)
        {
            End(oldest.UploadId);
        }

        _sessions[uploadId] = new SessionPieces(this, uploadId, userId, blocks, size ?? declared);
    }

    /// <summary>An upload's block list grew (a part was added): <paramref name="blocks"/> is the whole list so far.</summary>
    public void Extend(string uploadId, IReadOnlyList<BlockRef> blocks)
    {
        if (_sessions.TryGetValue(uploadId, out var session))
        {
            session.Extend(blocks);
        }
    }

    /// <summary>Stops following an upload (finished, or given up) and frees the blocks it kept.</summary>
    public void End(string uploadId)
    {
        if (_sessions.TryRemove(uploadId, out var session))
        {
            session.Drop();
        }
    }

    /// <summary>A block was verified against its name and stored for <paramref name="userId"/>: each of the user's uploads that needs it hashes it, or keeps it for its turn.</summary>
    public void Stored(string userId, BlockHash hash, ReadOnlySpan<byte> bytes)
    {
        foreach (var session in _sessions.Values)
        {
            if (session.UserId == userId)
            {
                session.Arrived(hash, bytes);
            }
        }
    }

    private bool TryHold(int length)
    {
        if (Interlocked.Add(ref _heldBytes, length) <= MaxHeldBytes)
        {
            return true;
        }

        Interlocked.Add(ref _heldBytes, -length);
        return false;
    }

    private void Release(int length) => Interlocked.Add(ref _heldBytes, -length);

    /// <summary>
    /// One upload's pieces, hashed in file order as its blocks come. A list sent in parts grows at its end only, so the
    /// pieces computed from a longer list begin with the same pieces (the last one possibly with more segments): the
    /// indices into them stay valid, and a piece is remembered only once it is whole (4 MiB, or the file's last).
    /// </summary>
    private sealed class SessionPieces
    {
        private readonly UploadPieceHashing _owner;
        private readonly long _size;
        private IReadOnlyList<BlockRef> _blocks;
        private List<BlockListContentHash.Piece> _pieces;
        private long _declared;
        private readonly Dictionary<BlockHash, int> _lastIndex = [];
        private readonly Dictionary<BlockHash, byte[]> _early = [];
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private readonly Lock _lock = new();
        private int _nextBlock;
        private int _piece;
        private int _segment;
        private bool _hashing;
        private bool _stopped;

        public SessionPieces(UploadPieceHashing owner, string uploadId, string userId, IReadOnlyList<BlockRef> blocks, long size)
        {
            _owner = owner;
            UploadId = uploadId;
            UserId = userId;
            _size = size;
            _blocks = [];
            _pieces = [];
            Extend(blocks);
        }

        public string UploadId { get; }

        public string UserId { get; }

        public long Started { get; } = Environment.TickCount64;

        /// <summary>Whether the list has every block of the file.</summary>
        private bool Whole => _declared == _size;

        public void Extend(IReadOnlyList<BlockRef> blocks)
        {
            var pieces = BlockListContentHash.Pieces(blocks);
            lock (_lock)
            {
                if (_stopped || blocks.Count <= _blocks.Count)
                {
                    return;
                }

                for (var i = _blocks.Count; i < blocks.Count; i++)
                {
                    _lastIndex[blocks[i].Hash] = i;
                    _declared += blocks[i].Size;
                }

                (_blocks, _pieces) = (blocks, pieces);
            }
        }

        public void Arrived(BlockHash hash, ReadOnlySpan<byte> bytes)
        {
            lock (_lock)
            {
                if (_stopped || _nextBlock >= _blocks.Count || !_lastIndex.TryGetValue(hash, out var last) || last < _nextBlock)
                {
                    return;
                }

                if (_hashing || _blocks[_nextBlock].Hash != hash)
                {
                    // Early (or the one hashing now is still at it): kept for its turn if the budget allows.
                    if (!_early.ContainsKey(hash))
                    {
                        var copy = EarlyCopies.Rent(bytes.Length);
                        if (!_owner.TryHold(copy.Length))
                        {
                            EarlyCopies.Return(copy);
                            StopLocked();
                            return;
                        }

                        bytes.CopyTo(copy);
                        _early[hash] = copy;
                    }

                    return;
                }

                _hashing = true;
            }

            // The block needed next: hashed outside the lock, so the session's other requests only copy theirs meanwhile.
            // A kept copy being hashed is out of _early (this thread owns it), so a Drop meanwhile cannot pool it.
            var current = bytes;
            byte[]? kept = null;
            try
            {
                while (true)
                {
                    HashBlock(_nextBlock, current);
                    lock (_lock)
                    {
                        var done = _blocks[_nextBlock].Hash;
                        if (kept is not null)
                        {
                            if (_stopped || !NeededAfter(_nextBlock, done) || !_early.TryAdd(done, kept))
                            {
                                _owner.Release(kept.Length);
                                EarlyCopies.Return(kept);
                            }

                            kept = null;
                        }

                        _nextBlock++;
                        if (_stopped || (_nextBlock >= _blocks.Count && Whole))
                        {
                            _hashing = false;
                            _hash.Dispose();
                            return;
                        }

                        if (_nextBlock >= _blocks.Count)
                        {
                            // Hashed as far as the list goes; the next part brings more.
                            _hashing = false;
                            return;
                        }

                        var next = _blocks[_nextBlock].Hash;
                        if (next == done)
                        {
                            // The same block again (a run of equal content): its bytes are the ones just hashed.
                            if (_early.Remove(next, out kept))
                            {
                                current = kept.AsSpan(0, _blocks[_nextBlock].Size);
                            }

                            continue;
                        }

                        if (!_early.Remove(next, out kept))
                        {
                            _hashing = false;
                            return;
                        }
                    }

                    current = kept.AsSpan(0, _blocks[_nextBlock].Size);
                }
            }
            catch
            {
                lock (_lock)
                {
                    _hashing = false;
                    StopLocked();
                }

                throw;
            }
        }

        public void Drop()
        {
            lock (_lock)
            {
                StopLocked();
            }
        }

        /// <summary>Whether block <paramref name="hash"/> appears again after index <paramref name="index"/> (its kept copy is still needed).</summary>
        private bool NeededAfter(int index, BlockHash hash) => _lastIndex[hash] > index;

        /// <summary>Appends block <paramref name="index"/>'s bytes to the pieces it covers, remembering each piece it completes.</summary>
        private void HashBlock(int index, ReadOnlySpan<byte> bytes)
        {
            var pieces = _pieces;
            while (_piece < pieces.Count)
            {
                var piece = pieces[_piece];
                if (_segment == piece.Segments.Count)
                {
                    // The list's last piece, hashed as far as the list goes.
                    return;
                }

                var (block, from, length) = piece.Segments[_segment];
                if (block != index)
                {
                    return;
                }

                _hash.AppendData(bytes.Slice(from, length));
                if (++_segment == piece.Segments.Count && (piece.Length == ContentHasher.PieceSize || ((long)_piece * ContentHasher.PieceSize) + piece.Length == _size))
                {
                    BlockListContentHash.Remember(piece.Key, _hash.GetHashAndReset());
                    Interlocked.Increment(ref _owner._piecesHashed);
                    (_piece, _segment) = (_piece + 1, 0);
                }
            }
        }

        private void StopLocked()
        {
            _stopped = true;
            if (!_hashing)
            {
                _hash.Dispose();
            }

            foreach (var kept in _early.Values)
            {
                _owner.Release(kept.Length);
                EarlyCopies.Return(kept);
            }

            _early.Clear();
        }
    }
}
