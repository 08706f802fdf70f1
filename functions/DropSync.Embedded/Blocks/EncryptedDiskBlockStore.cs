using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using DropSync.Core.Content;
using DropSync.Core.Errors;
using DropSync.Core.Ports;
using DropSync.Embedded.Keys;

namespace DropSync.Embedded.Blocks;

/// <summary>
/// The embedded block store: each block is one file, compressed where it pays and always encrypted, at
/// <c>&lt;folder&gt;/&lt;hex[0..2]&gt;/&lt;hex&gt;</c> (or where earlier versions put it: <see cref="BlockFileLayout"/>).
/// <para>
/// The file format is written by hand because no package provides envelope-encrypted, content-addressed block files: the
/// pieces (AES-256-GCM, SHA-256, zstd) come from .NET and ZstdSharp, and this class only lays them out. Version 1, integers
/// little-endian:
/// </para>
/// <code>
/// offset size  field
///      0    4  magic "DSB1"
///      4    1  format version (1)
///      5    1  flags: bit 0 = body is zstd-compressed; other bits must be 0
///      6    8  master key id: first 8 bytes of SHA-256(master key)
///     14    4  plaintext length (at most 4 MiB)
///     18   12  wrap nonce
///     30   32  wrapped data key: the block's own random 256-bit key, AES-256-GCM-encrypted with the master key
///     62   16  wrap tag
///     78   12  data nonce
///     90   16  data tag
///    106    n  ciphertext: AES-256-GCM with the data key of the (compressed or raw) plaintext
/// </code>
/// <para>
/// The first 18 bytes (magic to plaintext length) followed by the block's name (the 32-byte SHA-256 of its plaintext) are the
/// associated data of both encryptions, so a flipped header bit, or a file renamed to another block's name, fails to decrypt;
/// nonces, the wrapped key and the ciphertext are covered by the tags. Each data key encrypts one block once and is zeroed
/// after use. Only hashed bytes are ever sealed under a name, so a raw block that decrypts under its name is verified by the
/// tags; a compressed one is hashed again after decompression and compared with the name (see <c>Open</c>).
/// </para>
/// <para>
/// Writes go to <c>&lt;folder&gt;/tmp/</c>, are flushed to disk and then renamed into place, so no reader ever sees a partial
/// block and a crash leaves at most a stray temp file; temp files are deleted when the store opens, so the folder must be
/// used by one store at a time (the embedded server owns its data folder). At most <c>maxConcurrency</c> reads and writes
/// run at once. A block that comes in a pooled <see cref="BlockBuffer"/> (the server's transfers) is sealed, written,
/// read and opened in that buffer, in place: the header goes in the room before the block and the ciphertext over the
/// plaintext, so a block in flight needs one buffer, not that and one of the store's. Any other block (or a compressed
/// one, which zstd cannot write over its own input) is sealed or opened through a pooled buffer of the store's: no
/// per-block arrays, and memory is bounded under any load. The jobs are split: <see cref="BlockFileFormat"/> (header and crypto),
/// <see cref="BlockCompression"/> and <see cref="CompressionDecision"/> (zstd where it pays), <see cref="BlockFileIo"/> (disk).
/// </para>
/// </summary>
public sealed class EncryptedDiskBlockStore : IBlockStore, IDisposable
{
    public const string TempFolderName = "tmp";

    /// <summary>Bytes before the ciphertext.</summary>
    public const int HeaderSize = BlockFileFormat.HeaderSize;

    private const int MaxFileSize = HeaderSize + Limits.MaxBlockSize;

    private readonly string _folder;
    private readonly SemaphoreSlim _gate;
    private readonly BlockFileFormat _format;
    private readonly BlockCompression _compression = new();
    private readonly BlockFileIo _io;
    private readonly BlockFileLayout _layout;

    /// <summary>Fails the build unless a block file's header fits <see cref="BlockBuffer.HeaderRoom"/> exactly (a byte cannot hold 256).</summary>
    private const byte HeaderFitsBlockBuffers = HeaderSize == BlockBuffer.HeaderRoom ? 0 : 256;

    /// <param name="folder">The blocks folder, normally <c>&lt;data&gt;/blocks</c>; created if missing.</param>
    /// <param name="masterKey">Wraps every block's data key. Not owned: the caller disposes it after the store.</param>
    /// <param name="maxConcurrency">
    /// Most reads and writes working at once; defaults to the processor count (at least 2): the work is CPU-bound (hash,
    /// AES-GCM) with short disk waits, so more slots only hold more memory (a buffer each, for blocks not sealed in place).
    /// </param>
    /// <param name="directIo">Read and write block files with O_DIRECT where the OS and file system allow (Linux); false forces buffered I/O.</param>
    public EncryptedDiskBlockStore(string folder, MasterKey masterKey, int maxConcurrency = 0, bool directIo = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentNullException.ThrowIfNull(masterKey);
        _folder = Path.GetFullPath(folder);
        var tempFolder = Path.Combine(_folder, TempFolderName);
        var concurrency = maxConcurrency > 0 ? maxConcurrency : Math.Max(2, Environment.ProcessorCount);
        _gate = new SemaphoreSlim(concurrency);
        _format = new BlockFileFormat(masterKey);
        _io = new BlockFileIo(tempFolder, directIo);
        Directory.CreateDirectory(tempFolder);
        _io.DeleteStaleTempFiles();
        _layout = new BlockFileLayout(_folder);
    }

    public string Folder => _folder;

    /// <summary>Whether block files are currently read and written with direct I/O (false after the file system refused it).</summary>
    public bool UsesDirectIo => _io.UsesDirectIo;

    /// <summary>Where a new block's file goes (whether or not it exists); <see cref="HasFile"/> also finds files of earlier versions' layout.</summary>
    public string PathOf(BlockHash hash) => _layout.PathOf(hash);

    /// <summary>Whether the block is stored as a file here (in either layout, <see cref="BlockFileLayout"/>).</summary>
    public bool HasFile(BlockHash hash) => _layout.Find(hash) is not null;

    public Task PutAsync(BlockHash hash, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken)
    {
        CheckSize(plaintext.Length);
        RequireHash(hash, plaintext.Span);
        return StoreAsync(hash, plaintext, cancellationToken);
    }

    /// <summary>Throws <c>block_hash_mismatch</c> unless <paramref name="plaintext"/> hashes to <paramref name="hash"/>.</summary>
    internal static void RequireHash(BlockHash hash, ReadOnlySpan<byte> plaintext)
    {
        if (!HashMatches(plaintext, hash))
        {
            throw Errors.BadRequest(ErrorCodes.BlockHashMismatch, $"The bytes sent do not hash to {hash}; nothing was stored. Re-read the block and send it again.");
        }
    }

    /// <summary>The server named these bytes itself a moment ago (a media upload): hashing them again would prove nothing.</summary>
    public Task PutHashedAsync(BlockHash hash, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken)
    {
        CheckSize(plaintext.Length);
        return StoreAsync(hash, plaintext, cancellationToken);
    }

    public Task<bool> ExistsAsync(BlockHash hash, CancellationToken cancellationToken) => Task.FromResult(HasFile(hash));

    public async Task<byte[]> ReadAsync(BlockHash hash, CancellationToken cancellationToken)
    {
        byte[]? plaintext = null;
        await ReadCoreAsync(hash, null, length => plaintext = new byte[length], cancellationToken);
        return plaintext!;
    }

    /// <summary>Into a whole <see cref="BlockBuffer"/>'s block the file is read and opened in place (its header in the room before it).</summary>
    public Task<int> ReadIntoAsync(BlockHash hash, Memory<byte> destination, CancellationToken cancellationToken) =>
        ReadCoreAsync(
            hash,
#pragma warning disable CA2000 // The caller's buffer, borrowed for this read: the caller gives it back to its pool.
            destination.Length == Limits.MaxBlockSize ? InPlace(destination) : null,
#pragma warning restore CA2000
            length => length <= destination.Length
                ? destination[..length]
                : throw new ArgumentException($"The destination has room for {destination.Length} bytes; block {hash} is {length}.", nameof(destination)),
            cancellationToken);

    public Task DeleteAsync(BlockHash hash, CancellationToken cancellationToken)
    {
        DeleteFile(PathOf(hash));
        // A block stored by an earlier version and again since has a file in each layout.
        DeleteFile(_layout.TwoLevelPathOf(hash));

        return Task.CompletedTask;

        static void DeleteFile(string path)
        {
            try
            {
                File.Delete(path);
            }
            catch (DirectoryNotFoundException)
            {
                // Absent: nothing to delete.
            }
        }
    }

    public async IAsyncEnumerable<(BlockHash Hash, DateTimeOffset WrittenAt)> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var top = new DirectoryInfo(_folder);
        List<DirectoryInfo> firsts;
        try
        {
            firsts = top.EnumerateDirectories().Where(d => BlockFileLayout.IsHexByteName(d.Name)).ToList();
        }
        catch (DirectoryNotFoundException)
        {
            yield break;
        }

        foreach (var first in firsts)
        {
            // Directory walking is blocking I/O: hand the rest of each top-level folder to the thread pool, not the caller's thread.
            await Task.Yield();
            foreach (var block in _layout.ListIn(first))
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return block;
            }
        }
    }

    public void Dispose()
    {
        _gate.Dispose();
        _compression.Dispose();
    }

    /// <summary>
    /// As <see cref="PutHashedAsync"/>, but done with <paramref name="plaintext"/> as soon as the block file is written: the
    /// returned task completes then, with a task that completes when the file is flushed and in place (or fails). The
    /// flushes hold no buffer and no slot of the gate.
    /// </summary>
    public async Task<Task> BeginPutHashedAsync(BlockHash hash, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken)
    {
        CheckSize(plaintext.Length);
        var pending = await WriteTempAsync(hash, plaintext, cancellationToken);
        return pending is null ? Task.CompletedTask : Task.Run(pending.Complete, CancellationToken.None);
    }

    private async Task StoreAsync(BlockHash hash, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken) =>
        (await WriteTempAsync(hash, plaintext, cancellationToken))?.Complete();

    /// <summary>Seals the block into a file buffer and writes it to a temp file; null when the block is stored already.</summary>
    private async Task<PendingBlockFile?> WriteTempAsync(BlockHash hash, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken)
    {
        if (HasFile(hash))
        {
            return null;
        }

        var path = PathOf(hash);

        await _gate.WaitAsync(cancellationToken);
        try
        {
            // The rest is CPU and blocking disk work: off the caller's thread, so a media upload reads the next block meanwhile.
            await Task.Yield();
#pragma warning disable CA2000 // The caller's buffer, borrowed for this write: the caller gives it back to its pool.
            if (InPlace(plaintext) is { } inPlace && !_compression.WorthTrying(plaintext.Span))
#pragma warning restore CA2000
            {
                var file = inPlace.FileSpan;
                return _io.WriteTemp(path, file, SealInPlace(hash, plaintext.Length, file));
            }

            var buffer = BlockBuffers.RentForStore();
            try
            {
                var file = buffer.FileSpan;
                var length = Seal(hash, plaintext.Span, file);
                return _io.WriteTemp(path, file, length);
            }
            finally
            {
                BlockBuffers.ReturnFromStore(buffer);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The block sealed exactly as its file would be (header, compressed where it pays, encrypted), in a new array of
    /// its length: for a store that keeps small blocks elsewhere (<see cref="TieredBlockStore"/>). Needs no gate or pooled
    /// buffer: the caller's array is the buffer.
    /// </summary>
    internal byte[] SealToArray(BlockHash hash, ReadOnlySpan<byte> plaintext)
    {
        CheckSize(plaintext.Length);
        var file = new byte[HeaderSize + plaintext.Length];
        var length = Seal(hash, plaintext, file);
        return length == file.Length ? file : file.AsSpan(0, length).ToArray();
    }

    /// <summary>
    /// Checks, decrypts and verifies bytes <see cref="SealToArray"/> made (<paramref name="sealedBlock"/> is decrypted in
    /// place) into the memory <paramref name="destinationFor"/> gives for the block's length; returns the length.
    /// </summary>
    internal int OpenSealed(BlockHash hash, byte[] sealedBlock, Func<int, Memory<byte>> destinationFor)
    {
        if (sealedBlock.Length < HeaderSize || sealedBlock.Length > MaxFileSize)
        {
            throw BlockFileFormat.Corrupt(hash, $"it is {sealedBlock.Length} bytes, which no sealed block can be");
        }

        var (length, compressed) = _format.CheckHeader(hash, sealedBlock.AsSpan(0, HeaderSize), sealedBlock.Length - HeaderSize);
        Open(hash, sealedBlock, compressed, destinationFor(length).Span);
        return length;
    }

    /// <summary>
    /// The <see cref="BlockBuffer"/> whose block <paramref name="block"/> is, from its start (so the header room is right
    /// before it), or null: such a block is sealed or opened in place.
    /// </summary>
    private static BlockBuffer? InPlace(ReadOnlyMemory<byte> block) =>
        MemoryMarshal.TryGetMemoryManager(block, out BlockBuffer? buffer, out var start, out _) && start == 0 ? buffer : null;

    /// <summary>Seals the raw block of <paramref name="length"/> bytes at <paramref name="file"/>[<see cref="HeaderSize"/>..] in place: header before it, ciphertext over it; returns the file's length.</summary>
    private int SealInPlace(BlockHash hash, int length, Span<byte> file)
    {
        Span<byte> name = stackalloc byte[32];
        hash.WriteDigest(name);
        var body = file.Slice(HeaderSize, length);
        _format.Seal(body, length, compressed: false, name, file[..HeaderSize], body);
        return HeaderSize + length;
    }

    /// <summary>Lays out the block file in <paramref name="file"/>: header, then the compressed (where it pays) or raw plaintext, encrypted; returns the file's length.</summary>
    private int Seal(BlockHash hash, ReadOnlySpan<byte> plaintext, Span<byte> file)
    {
        Span<byte> name = stackalloc byte[32];
        hash.WriteDigest(name);
        var header = file[..HeaderSize];
        var body = file[HeaderSize..];
        if (_compression.TryCompress(plaintext, body, out var compressedLength))
        {
            _format.Seal(body[..compressedLength], plaintext.Length, compressed: true, name, header, body);
            return HeaderSize + compressedLength;
        }

        // Raw: encrypted straight from the caller's bytes into the file buffer, no copy first.
        _format.Seal(plaintext, plaintext.Length, compressed: false, name, header, body);
        return HeaderSize + plaintext.Length;
    }

    /// <summary>
    /// Reads, checks and decrypts a block into the memory <paramref name="destinationFor"/> gives for its length; returns
    /// the length. The file is read into <paramref name="inPlace"/> (whose block that memory then is) or a store buffer.
    /// </summary>
    private async Task<int> ReadCoreAsync(BlockHash hash, BlockBuffer? inPlace, Func<int, Memory<byte>> destinationFor, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        var buffer = inPlace ?? BlockBuffers.RentForStore();
        BlockBuffer? unpacking = null;
        try
        {
            var file = buffer.FileSpan;
            long fileLength;
            try
            {
                fileLength = ReadFile(hash, file);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                throw Errors.NotFound(ErrorCodes.BlockNotFound, $"No block {hash} is stored. Upload it first.");
            }

            if (fileLength < HeaderSize || fileLength > MaxFileSize)
            {
                throw BlockFileFormat.Corrupt(hash, $"the file is {fileLength} bytes, which no block file can be");
            }

            var (length, compressed) = _format.CheckHeader(hash, file[..HeaderSize], (int)fileLength - HeaderSize);
            var plaintext = destinationFor(length).Span;
            if (compressed && inPlace is not null)
            {
                // zstd cannot decompress over its own input: the file moves to a store buffer first.
                unpacking = BlockBuffers.RentForStore();
                file[..(int)fileLength].CopyTo(unpacking.FileSpan);
                file = unpacking.FileSpan;
            }

            Open(hash, file[..(int)fileLength], compressed, plaintext);
            return length;
        }
        finally
        {
            if (unpacking is not null)
            {
                BlockBuffers.ReturnFromStore(unpacking);
            }

            if (inPlace is null)
            {
                BlockBuffers.ReturnFromStore(buffer);
            }

            _gate.Release();
        }
    }

    /// <summary>Reads the block's file (see <see cref="BlockFileLayout"/>: the one-level path first, then an earlier version's).</summary>
    private long ReadFile(BlockHash hash, Span<byte> file)
    {
        try
        {
            return _io.ReadWhole(PathOf(hash), file, MaxFileSize);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return _io.ReadWhole(_layout.TwoLevelPathOf(hash), file, MaxFileSize);
        }
    }

    /// <summary>
    /// Decrypts (and decompresses) a checked block file into <paramref name="plaintext"/>, verified against the block's
    /// name. A raw block is verified by its GCM tags alone: the name is in the associated data of both tags, and this store
    /// seals only bytes that hash to the name (<see cref="PutAsync"/> checks; <see cref="PutHashedAsync"/>'s caller named
    /// them from those very bytes), so a file that opens under this name holds exactly the bytes that were hashed to it
    /// when it was written. Re-hashing them (0.6–0.7 CPU-s per GiB, the largest cost of a download) would prove nothing
    /// more to anyone without the master key. A compressed block is still hashed after decompression, the one step the
    /// tag does not cover. The full argument is in bench/DropSync.Benchmarks/README.md ("Verifying a read by its tag").
    /// </summary>
    private void Open(BlockHash hash, Span<byte> file, bool compressed, Span<byte> plaintext)
    {
        var header = file[..HeaderSize];
        var body = file[HeaderSize..];
        if (!compressed)
        {
            _format.Decrypt(hash, header, body, plaintext);
            return;
        }

        _format.Decrypt(hash, header, body, body);
        _compression.Decompress(hash, body, plaintext);
        if (!HashMatches(plaintext, hash))
        {
            throw BlockFileFormat.Corrupt(hash, "its content does not hash to its name");
        }
    }

    private static void CheckSize(int length)
    {
        if (length > Limits.MaxBlockSize)
        {
            throw Errors.TooLarge(ErrorCodes.BlockTooLarge, $"A block is at most {Limits.MaxBlockSize} bytes (4 MiB); split the file into smaller blocks.");
        }
    }

    private static bool HashMatches(ReadOnlySpan<byte> plaintext, BlockHash hash)
    {
        Span<byte> digest = stackalloc byte[32];
        Span<byte> name = stackalloc byte[32];
        SHA256.HashData(plaintext, digest);
        hash.WriteDigest(name);
        return digest.SequenceEqual(name);
    }
}
