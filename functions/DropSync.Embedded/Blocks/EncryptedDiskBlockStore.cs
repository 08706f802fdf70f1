using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using DropSync.Core.Content;
using DropSync.Core.Errors;
using DropSync.Core.Ports;
using DropSync.Embedded.Keys;
using DropSync.Embedded.Storage;
using ZstdSharp;

namespace DropSync.Embedded.Blocks;

/// <summary>
/// The embedded block store: each block is one file, compressed where it pays and always encrypted, at
/// <c>&lt;folder&gt;/&lt;hex[0..2]&gt;/&lt;hex[2..4]&gt;/&lt;hex&gt;</c>.
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
/// after use. After decryption the plaintext is hashed again and compared with the name.
/// </para>
/// <para>
/// Writes go to <c>&lt;folder&gt;/tmp/</c>, are flushed to disk and then renamed into place, so no reader ever sees a partial
/// block and a crash leaves at most a stray temp file; temp files are deleted when the store opens, so the folder must be
/// used by one store at a time (the embedded server owns its data folder). At most <c>maxConcurrency</c> reads and writes
/// run at once, each holding at most one pooled buffer of at most 4 MiB (raw blocks are read straight into the array that is
/// returned), which bounds memory under load. (The file is not one buffer, header and body together, so that pooled
/// arrays stay in the pool's 4 MiB size class rather than its 8 MiB one.)
/// </para>
/// </summary>
public sealed class EncryptedDiskBlockStore : IBlockStore, IDisposable
{
    public const string TempFolderName = "tmp";

    private const int MagicSize = 4;
    private const byte FormatVersion = 1;
    private const byte FlagCompressed = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int DataKeySize = 32;
    private const int VersionOffset = 4;
    private const int FlagsOffset = 5;
    private const int KeyIdOffset = 6;
    private const int LengthOffset = KeyIdOffset + MasterKey.KeyIdSize;
    private const int AuthenticatedPrefixSize = LengthOffset + 4;
    private const int WrapNonceOffset = AuthenticatedPrefixSize;
    private const int WrappedKeyOffset = WrapNonceOffset + NonceSize;
    private const int WrapTagOffset = WrappedKeyOffset + DataKeySize;
    private const int DataNonceOffset = WrapTagOffset + TagSize;
    private const int DataTagOffset = DataNonceOffset + NonceSize;

    /// <summary>Bytes before the ciphertext.</summary>
    public const int HeaderSize = DataTagOffset + TagSize;

    /// <summary>zstd level 1: fast, and most of the gain of higher levels on the data people sync.</summary>
    private const int CompressionLevel = 1;

    /// <summary>Compression is kept only if it saves at least 1/10 of the block.</summary>
    private const int MinSavingDivisor = 10;

    /// <summary>Blocks larger than twice this are first tried on their first this-many bytes; if those do not compress, nor does the rest (usually).</summary>
    private const int SampleSize = 64 * 1024;

    private static ReadOnlySpan<byte> Magic => "DSB1"u8;

    private readonly string _folder;
    private readonly string _tempFolder;
    private readonly MasterKey _masterKey;
    private readonly SemaphoreSlim _gate;
    private readonly ConcurrentBag<Compressor> _compressors = [];
    private readonly ConcurrentBag<Decompressor> _decompressors = [];

    /// <param name="folder">The blocks folder, normally <c>&lt;data&gt;/blocks</c>; created if missing.</param>
    /// <param name="masterKey">Wraps every block's data key. Not owned: the caller disposes it after the store.</param>
    /// <param name="maxConcurrency">Most reads and writes working at once; defaults to twice the processor count.</param>
    public EncryptedDiskBlockStore(string folder, MasterKey masterKey, int maxConcurrency = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentNullException.ThrowIfNull(masterKey);
        _folder = Path.GetFullPath(folder);
        _tempFolder = Path.Combine(_folder, TempFolderName);
        _masterKey = masterKey;
        _gate = new SemaphoreSlim(maxConcurrency > 0 ? maxConcurrency : Math.Max(4, 2 * Environment.ProcessorCount));
        Directory.CreateDirectory(_tempFolder);
        DeleteStaleTempFiles();
    }

    public string Folder => _folder;

    /// <summary>Where a block's file is (whether or not it exists).</summary>
    public string PathOf(BlockHash hash)
    {
        var hex = hash.Hex;
        return Path.Combine(_folder, hex[..2], hex[2..4], hex);
    }

    public async Task PutAsync(BlockHash hash, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken)
    {
        if (plaintext.Length > Limits.MaxBlockSize)
        {
            throw Errors.TooLarge(ErrorCodes.BlockTooLarge, $"A block is at most {Limits.MaxBlockSize} bytes (4 MiB); split the file into smaller blocks.");
        }

        var name = hash.ToBytes();
        if (!HashMatches(plaintext.Span, name))
        {
            throw Errors.BadRequest(ErrorCodes.BlockHashMismatch, $"The bytes sent do not hash to {hash}; nothing was stored. Re-read the block and send it again.");
        }

        var path = PathOf(hash);
        if (File.Exists(path))
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken);
        byte[]? body = null;
        try
        {
            var header = new byte[HeaderSize];
            body = ArrayPool<byte>.Shared.Rent(plaintext.Length);
            var bodyLength = Seal(plaintext.Span, name, header, body);
            await WriteAtomicallyAsync(path, header, body.AsMemory(0, bodyLength), cancellationToken);
        }
        finally
        {
            if (body is not null)
            {
                ArrayPool<byte>.Shared.Return(body);
            }

            _gate.Release();
        }
    }

    public Task<bool> ExistsAsync(BlockHash hash, CancellationToken cancellationToken) => Task.FromResult(File.Exists(PathOf(hash)));

    public async Task<byte[]> ReadAsync(BlockHash hash, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        byte[]? rented = null;
        try
        {
            FileStream stream;
            try
            {
                stream = new FileStream(PathOf(hash), new FileStreamOptions
                {
                    Mode = FileMode.Open,
                    Access = FileAccess.Read,
                    Share = FileShare.Read | FileShare.Delete,
                    Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
                    BufferSize = 0,
                });
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                throw Errors.NotFound(ErrorCodes.BlockNotFound, $"No block {hash} is stored. Upload it first.");
            }

            await using (stream)
            {
                var fileLength = stream.Length;
                if (fileLength < HeaderSize || fileLength > HeaderSize + Limits.MaxBlockSize)
                {
                    throw Corrupt(hash, $"the file is {fileLength} bytes, which no block file can be");
                }

                var header = new byte[HeaderSize];
                await stream.ReadExactlyAsync(header, cancellationToken);
                var bodyLength = (int)fileLength - HeaderSize;
                var (length, compressed) = CheckHeader(hash, header, bodyLength);
                var plaintext = new byte[length];
                if (!compressed)
                {
                    // Raw blocks are read and decrypted in place in the buffer that is returned: no pooled memory at all.
                    await stream.ReadExactlyAsync(plaintext, cancellationToken);
                    Decrypt(hash, header, plaintext, plaintext);
                }
                else
                {
                    rented = ArrayPool<byte>.Shared.Rent(bodyLength);
                    var body = rented.AsMemory(0, bodyLength);
                    await stream.ReadExactlyAsync(body, cancellationToken);
                    Decrypt(hash, header, body.Span, body.Span);
                    Decompress(hash, body.Span, plaintext);
                }

                if (!HashMatches(plaintext, hash.ToBytes()))
                {
                    throw Corrupt(hash, "its content does not hash to its name");
                }

                return plaintext;
            }
        }
        catch (EndOfStreamException)
        {
            throw Corrupt(hash, "the file ended early");
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }

            _gate.Release();
        }
    }

    public Task DeleteAsync(BlockHash hash, CancellationToken cancellationToken)
    {
        try
        {
            File.Delete(PathOf(hash));
        }
        catch (DirectoryNotFoundException)
        {
            // Absent: nothing to delete.
        }

        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<(BlockHash Hash, DateTimeOffset WrittenAt)> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var top = new DirectoryInfo(_folder);
        foreach (var first in SafeEnumerate(() => top.EnumerateDirectories()))
        {
            if (!IsHexByteName(first.Name))
            {
                continue;
            }

            // Directory walking is blocking I/O: hand the rest of each top-level folder to the thread pool, not the caller's thread.
            await Task.Yield();
            foreach (var second in SafeEnumerate(() => first.EnumerateDirectories()))
            {
                if (!IsHexByteName(second.Name))
                {
                    continue;
                }

                foreach (var file in SafeEnumerate(() => second.EnumerateFiles()))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (BlockHash.TryParse(file.Name, out var hash)
                        && hash.Hex == file.Name
                        && hash.Hex.AsSpan(0, 2).SequenceEqual(first.Name)
                        && hash.Hex.AsSpan(2, 2).SequenceEqual(second.Name))
                    {
                        yield return (hash, new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero));
                    }
                }
            }
        }
    }

    public void Dispose()
    {
        _gate.Dispose();
        while (_compressors.TryTake(out var compressor))
        {
            compressor.Dispose();
        }

        while (_decompressors.TryTake(out var decompressor))
        {
            decompressor.Dispose();
        }
    }

    /// <summary>Compresses (where it pays) and encrypts <paramref name="plaintext"/> into <paramref name="body"/>, filling in <paramref name="header"/>; returns the body's length.</summary>
    private int Seal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> name, Span<byte> header, Span<byte> body)
    {
        var compressed = TryCompress(plaintext, body[..plaintext.Length], out var bodyLength);
        if (!compressed)
        {
            plaintext.CopyTo(body);
            bodyLength = plaintext.Length;
        }

        Magic.CopyTo(header);
        header[VersionOffset] = FormatVersion;
        header[FlagsOffset] = compressed ? FlagCompressed : (byte)0;
        _masterKey.KeyIdBytes.CopyTo(header[KeyIdOffset..]);
        BinaryPrimitives.WriteInt32LittleEndian(header[LengthOffset..], plaintext.Length);
        RandomNumberGenerator.Fill(header.Slice(WrapNonceOffset, NonceSize));
        RandomNumberGenerator.Fill(header.Slice(DataNonceOffset, NonceSize));

        Span<byte> associated = stackalloc byte[AuthenticatedPrefixSize + 32];
        BuildAssociatedData(header, name, associated);

        Span<byte> dataKey = stackalloc byte[DataKeySize];
        RandomNumberGenerator.Fill(dataKey);
        try
        {
            var ciphertext = body[..bodyLength];
            using (var data = new AesGcm(dataKey, TagSize))
            {
                data.Encrypt(header.Slice(DataNonceOffset, NonceSize), ciphertext, ciphertext, header.Slice(DataTagOffset, TagSize), associated);
            }

            using var wrap = new AesGcm(_masterKey.Bytes, TagSize);
            wrap.Encrypt(
                header.Slice(WrapNonceOffset, NonceSize),
                dataKey,
                header.Slice(WrappedKeyOffset, DataKeySize),
                header.Slice(WrapTagOffset, TagSize),
                associated);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }

        return bodyLength;
    }

    /// <summary>Checks a header against the file it came from; returns the plaintext length and whether the body is compressed.</summary>
    private (int Length, bool Compressed) CheckHeader(BlockHash hash, ReadOnlySpan<byte> header, int bodyLength)
    {
        if (!header[..MagicSize].SequenceEqual(Magic))
        {
            throw Corrupt(hash, "the file does not start with a block header");
        }

        if (header[VersionOffset] != FormatVersion)
        {
            throw Corrupt(hash, $"the file has format version {header[VersionOffset]}, which this server does not know");
        }

        var flags = header[FlagsOffset];
        if ((flags & ~FlagCompressed) != 0)
        {
            throw Corrupt(hash, "the header has unknown flags");
        }

        var keyId = header.Slice(KeyIdOffset, MasterKey.KeyIdSize);
        if (!keyId.SequenceEqual(_masterKey.KeyIdBytes))
        {
            var writtenWith = Convert.ToHexStringLower(keyId);
            throw new DropSyncException(
                ErrorKind.Unavailable,
                ErrorCodes.MasterKeyMismatch,
                $"Block {hash} was written with master key {writtenWith}, but this server runs with master key {_masterKey.KeyId}. " +
                $"Start the server with the key the data was written with: set DropSync:MasterKey to it (base64 of 32 bytes), or put " +
                $"its key file, {writtenWith}.key, in the keys folder (DropSync:KeysFolder).");
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(header[LengthOffset..]);
        var compressed = (flags & FlagCompressed) != 0;
        if (length < 0 || length > Limits.MaxBlockSize || (compressed ? bodyLength > length : bodyLength != length))
        {
            throw Corrupt(hash, "the header's length does not match the file");
        }

        return (length, compressed);
    }

    /// <summary>Unwraps the data key and decrypts <paramref name="ciphertext"/> into <paramref name="output"/> (which may be the same memory).</summary>
    private void Decrypt(BlockHash hash, ReadOnlySpan<byte> header, ReadOnlySpan<byte> ciphertext, Span<byte> output)
    {
        Span<byte> associated = stackalloc byte[AuthenticatedPrefixSize + 32];
        BuildAssociatedData(header, hash.ToBytes(), associated);
        Span<byte> dataKey = stackalloc byte[DataKeySize];
        try
        {
            using (var wrap = new AesGcm(_masterKey.Bytes, TagSize))
            {
                wrap.Decrypt(
                    header.Slice(WrapNonceOffset, NonceSize),
                    header.Slice(WrappedKeyOffset, DataKeySize),
                    header.Slice(WrapTagOffset, TagSize),
                    dataKey,
                    associated);
            }

            using var data = new AesGcm(dataKey, TagSize);
            data.Decrypt(header.Slice(DataNonceOffset, NonceSize), ciphertext, header.Slice(DataTagOffset, TagSize), output, associated);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw Corrupt(hash, "it failed authentication: the file was altered, or belongs to another block");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>Compresses into <paramref name="destination"/> if that saves at least a tenth; false means store raw.</summary>
    private bool TryCompress(ReadOnlySpan<byte> plaintext, Span<byte> destination, out int written)
    {
        written = 0;
        var limit = plaintext.Length - (plaintext.Length / MinSavingDivisor);
        if (limit <= 0)
        {
            return false;
        }

        var compressor = RentCompressor();
        try
        {
            // A cheap first look: if the first 64 KiB do not compress, assume the block (video, JPEG, archives, random) does not.
            if (plaintext.Length >= 2 * SampleSize
                && !compressor.TryWrap(plaintext[..SampleSize], destination[..(SampleSize - (SampleSize / MinSavingDivisor))], out _))
            {
                return false;
            }

            // A destination a tenth short of the input: zstd reports "too small" as soon as it cannot save that much.
            return compressor.TryWrap(plaintext, destination[..limit], out written);
        }
        finally
        {
            ReturnCompressor(compressor);
        }
    }

    private void Decompress(BlockHash hash, ReadOnlySpan<byte> compressed, Span<byte> plaintext)
    {
        if (!_decompressors.TryTake(out var decompressor))
        {
            decompressor = new Decompressor();
        }

        try
        {
            if (!decompressor.TryUnwrap(compressed, plaintext, out var written) || written != plaintext.Length)
            {
                throw Corrupt(hash, "it decompressed to the wrong length");
            }
        }
        catch (ZstdException)
        {
            // Authenticated bytes that are not a valid frame: written wrongly; nothing to reuse the context for.
            decompressor.Dispose();
            throw Corrupt(hash, "it failed to decompress");
        }

        _decompressors.Add(decompressor);
    }

    private Compressor RentCompressor() => _compressors.TryTake(out var compressor) ? compressor : new Compressor(CompressionLevel);

    private void ReturnCompressor(Compressor compressor) => _compressors.Add(compressor);

    private async Task WriteAtomicallyAsync(string path, ReadOnlyMemory<byte> header, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var temp = Path.Combine(_tempFolder, $"{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var stream = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                Options = FileOptions.Asynchronous,
                BufferSize = 0,
                PreallocationSize = header.Length + body.Length,
            }))
            {
                await stream.WriteAsync(header, cancellationToken);
                await stream.WriteAsync(body, cancellationToken);
                stream.Flush(flushToDisk: true);
            }

            var folder = Path.GetDirectoryName(path)!;
            DirectoryFlush.CreateDurably(folder);
            try
            {
                // rename(2): atomic, and if a concurrent put of the same block got there first, replacing its identical
                // content is harmless (readers that opened the old file keep reading it). The folder's flush makes the
                // new name survive a power cut before any commit can point at it.
                File.Move(temp, path, overwrite: true);
                DirectoryFlush.Flush(folder);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Where the destination cannot be replaced while open (Windows), the block is stored already: done.
                TryDelete(temp);
            }
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private void DeleteStaleTempFiles()
    {
        foreach (var file in Directory.EnumerateFiles(_tempFolder))
        {
            TryDelete(file);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a stray temp file is only wasted space, cleaned at the next start.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }

    private static void BuildAssociatedData(ReadOnlySpan<byte> header, ReadOnlySpan<byte> name, Span<byte> associated)
    {
        header[..AuthenticatedPrefixSize].CopyTo(associated);
        name.CopyTo(associated[AuthenticatedPrefixSize..]);
    }

    private static bool HashMatches(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> name)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(plaintext, digest);
        return digest.SequenceEqual(name);
    }

    private static bool IsHexByteName(string name) => name.Length == 2 && char.IsAsciiHexDigitLower(name[0]) && char.IsAsciiHexDigitLower(name[1]);

    private static IEnumerable<T> SafeEnumerate<T>(Func<IEnumerable<T>> source)
    {
        try
        {
            return source().ToList();
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
    }

    private static DropSyncException Corrupt(BlockHash hash, string reason) =>
        new(
            ErrorKind.Unavailable,
            ErrorCodes.BlockCorrupt,
            $"Block {hash} is damaged on disk: {reason}. Its bytes were not returned. Upload the block again from a device that has it, " +
            "or restore the file from a backup.");
}
