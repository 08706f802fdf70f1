using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using DropSync.Core.Accounts;

namespace DropSync.Core.Feed;

/// <summary>
/// Seals every cursor the server hands out (list_folder paging and delta cursors, notification pages): the payload,
/// then an HMAC-SHA256 tag over the cursor's kind and payload, with a key derived from the master key (the same on
/// every server of a deployment). A cursor whose tag does not match — edited, forged, or of another kind — answers
/// 400 invalid_cursor; so do the unsigned cursors of older servers, which clients answer by listing afresh.
/// </summary>
public sealed class CursorSigner(byte[] key)
{
    /// <summary>128 bits of the tag are kept (RFC 2104 §5 allows truncation to half the hash) to keep cursors short.</summary>
    private const int TagBytes = 16;

    public string Seal(string kind, ReadOnlySpan<byte> payload) => Ids.Base64Url(payload) + "." + Ids.Base64Url(Tag(kind, payload));

    /// <summary>The payload of a cursor this server sealed for <paramref name="kind"/>; null for anything else.</summary>
    public byte[]? Open(string kind, string? cursor)
    {
        var dot = cursor?.IndexOf('.', StringComparison.Ordinal) ?? -1;
        if (cursor is null || dot <= 0 || cursor.Length > 64 * 1024)
        {
            return null;
        }

        try
        {
            var payload = Base64Url.DecodeFromChars(cursor.AsSpan(0, dot));
            var tag = Base64Url.DecodeFromChars(cursor.AsSpan(dot + 1));
            return CryptographicOperations.FixedTimeEquals(tag, Tag(kind, payload)) ? payload : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private byte[] Tag(string kind, ReadOnlySpan<byte> payload)
    {
        var kindBytes = Encoding.UTF8.GetBytes(kind + "\n");
        var message = new byte[kindBytes.Length + payload.Length];
        kindBytes.CopyTo(message, 0);
        payload.CopyTo(message.AsSpan(kindBytes.Length));
        return HMACSHA256.HashData(key, message)[..TagBytes];
    }
}
