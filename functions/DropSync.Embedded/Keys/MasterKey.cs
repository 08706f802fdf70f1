using System.Security.Cryptography;

namespace DropSync.Embedded.Keys;

/// <summary>
/// The 256-bit key that wraps every block's data key. <see cref="KeyId"/> (the first 8 bytes of the SHA-256 of the key, as
/// 16 hex digits) names it in block headers, in the data folder and in the key file's name; the key itself never leaves this
/// type except as the span handed to <see cref="System.Security.Cryptography.AesGcm"/>. The bytes live in a pinned array
/// (so the GC never leaves copies behind) and are zeroed on dispose.
/// </summary>
public sealed class MasterKey : IDisposable
{
    public const int Size = 32;
    public const int KeyIdSize = 8;

    private readonly byte[] _key = GC.AllocateArray<byte>(Size, pinned: true);
    private readonly byte[] _keyId = new byte[KeyIdSize];
    private bool _disposed;

    private MasterKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != Size)
        {
            throw new ArgumentException($"A master key is exactly {Size} bytes.", nameof(key));
        }

        key.CopyTo(_key);
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(key, digest);
        digest[..KeyIdSize].CopyTo(_keyId);
        KeyId = Convert.ToHexStringLower(_keyId);
    }

    /// <summary>16 lowercase hex digits: the first 8 bytes of SHA-256(key). Safe to log and to store beside the data.</summary>
    public string KeyId { get; }

    /// <summary>The key id as the 8 bytes written into block headers.</summary>
    public ReadOnlySpan<byte> KeyIdBytes => _keyId;

    /// <summary>The key bytes. Do not copy them anywhere that outlives the operation at hand.</summary>
    public ReadOnlySpan<byte> Bytes
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _key;
        }
    }

    public static MasterKey Generate()
    {
        Span<byte> key = stackalloc byte[Size];
        RandomNumberGenerator.Fill(key);
        try
        {
            return new MasterKey(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    public static MasterKey FromBytes(ReadOnlySpan<byte> key) => new(key);

    /// <summary>Parses base64 of exactly 32 bytes; returns false (and says nothing about the text) otherwise.</summary>
    public static bool TryFromBase64(string? text, out MasterKey? key)
    {
        key = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Size + 3];
        try
        {
            if (!Convert.TryFromBase64String(text.Trim(), bytes, out var written) || written != Size)
            {
                return false;
            }

            key = new MasterKey(bytes[..Size]);
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>The key as base64, for writing the key file. Callers must not log it.</summary>
    public string ToBase64()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Convert.ToBase64String(_key);
    }

    /// <summary>Names the key by its id only.</summary>
    public override string ToString() => $"master key {KeyId}";

    public void Dispose()
    {
        _disposed = true;
        CryptographicOperations.ZeroMemory(_key);
    }
}
