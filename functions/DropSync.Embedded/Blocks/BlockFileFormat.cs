using System.Buffers.Binary;
using System.Security.Cryptography;
using DropSync.Core.Content;
using DropSync.Core.Errors;
using DropSync.Embedded.Keys;

namespace DropSync.Embedded.Blocks;

/// <summary>
/// The block file's header and its cryptography (the layout is documented on <see cref="EncryptedDiskBlockStore"/>):
/// sealing a body under a fresh data key wrapped with the master key, and checking and opening it again.
/// </summary>
internal sealed class BlockFileFormat(MasterKey masterKey)
{
    public const int HeaderSize = DataTagOffset + TagSize;

    private const int MagicSize = 4;
    private const byte FormatVersion = 1;
    private const byte FlagCompressed = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int DataKeySize = 32;
    private const int NameSize = 32;
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

    private static ReadOnlySpan<byte> Magic => "DSB1"u8;

    /// <summary>
    /// Writes the header for a block of <paramref name="plaintextLength"/> bytes named <paramref name="name"/> and encrypts
    /// <paramref name="body"/> (the raw or compressed plaintext) into <paramref name="ciphertext"/>, which may be the same memory.
    /// </summary>
    public void Seal(ReadOnlySpan<byte> body, int plaintextLength, bool compressed, ReadOnlySpan<byte> name, Span<byte> header, Span<byte> ciphertext)
    {
        Magic.CopyTo(header);
        header[VersionOffset] = FormatVersion;
        header[FlagsOffset] = compressed ? FlagCompressed : (byte)0;
        masterKey.KeyIdBytes.CopyTo(header[KeyIdOffset..]);
        BinaryPrimitives.WriteInt32LittleEndian(header[LengthOffset..], plaintextLength);

        // One draw for both nonces and the data key: each Fill is a call into OpenSSL's generator (with a getpid(2) for
        // its fork check), three per block before.
        Span<byte> random = stackalloc byte[DataKeySize + (2 * NonceSize)];
        RandomNumberGenerator.Fill(random);
        var dataKey = random[..DataKeySize];
        random.Slice(DataKeySize, NonceSize).CopyTo(header.Slice(WrapNonceOffset, NonceSize));
        random.Slice(DataKeySize + NonceSize, NonceSize).CopyTo(header.Slice(DataNonceOffset, NonceSize));

        Span<byte> associated = stackalloc byte[AuthenticatedPrefixSize + NameSize];
        BuildAssociatedData(header, name, associated);
        try
        {
            using (var data = new AesGcm(dataKey, TagSize))
            {
                data.Encrypt(header.Slice(DataNonceOffset, NonceSize), body, ciphertext[..body.Length], header.Slice(DataTagOffset, TagSize), associated);
            }

            using var wrap = new AesGcm(masterKey.Bytes, TagSize);
            wrap.Encrypt(
                header.Slice(WrapNonceOffset, NonceSize),
                dataKey,
                header.Slice(WrappedKeyOffset, DataKeySize),
                header.Slice(WrapTagOffset, TagSize),
                associated);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(random);
        }
    }

    /// <summary>Checks a header against the file it came from; returns the plaintext length and whether the body is compressed.</summary>
    public (int Length, bool Compressed) CheckHeader(BlockHash hash, ReadOnlySpan<byte> header, int bodyLength)
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
        if (!keyId.SequenceEqual(masterKey.KeyIdBytes))
        {
            var writtenWith = Convert.ToHexStringLower(keyId);
            throw new DropSyncException(
                ErrorKind.Unavailable,
                ErrorCodes.MasterKeyMismatch,
                $"Block {hash} was written with master key {writtenWith}, but this server runs with master key {masterKey.KeyId}. " +
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
    public void Decrypt(BlockHash hash, ReadOnlySpan<byte> header, ReadOnlySpan<byte> ciphertext, Span<byte> output)
    {
        Span<byte> name = stackalloc byte[NameSize];
        hash.WriteDigest(name);
        Span<byte> associated = stackalloc byte[AuthenticatedPrefixSize + NameSize];
        BuildAssociatedData(header, name, associated);
        Span<byte> dataKey = stackalloc byte[DataKeySize];
        try
        {
            using (var wrap = new AesGcm(masterKey.Bytes, TagSize))
            {
                wrap.Decrypt(
                    header.Slice(WrapNonceOffset, NonceSize),
                    header.Slice(WrappedKeyOffset, DataKeySize),
                    header.Slice(WrapTagOffset, TagSize),
                    dataKey,
                    associated);
            }

            using var data = new AesGcm(dataKey, TagSize);
            data.Decrypt(header.Slice(DataNonceOffset, NonceSize), ciphertext, header.Slice(DataTagOffset, TagSize), output[..ciphertext.Length], associated);
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

    public static DropSyncException Corrupt(BlockHash hash, string reason) =>
        new(
            ErrorKind.Unavailable,
            ErrorCodes.BlockCorrupt,
            $"Block {hash} is damaged on disk: {reason}. Its bytes were not returned. Upload the block again from a device that has it, " +
            "or restore the file from a backup.");

    private static void BuildAssociatedData(ReadOnlySpan<byte> header, ReadOnlySpan<byte> name, Span<byte> associated)
    {
        header[..AuthenticatedPrefixSize].CopyTo(associated);
        name.CopyTo(associated[AuthenticatedPrefixSize..]);
    }
}
