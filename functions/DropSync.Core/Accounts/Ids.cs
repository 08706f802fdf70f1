using System.Security.Cryptography;

namespace DropSync.Core.Accounts;

/// <summary>Random identifiers and secrets, URL-safe.</summary>
public static class Ids
{
    public static string New(string prefix, int bytes = 12) => prefix + Base64Url(RandomNumberGenerator.GetBytes(bytes));

    /// <summary>A new revision id: time-ordered and unique (a version-7 GUID as hex, like Dropbox's hex revs).</summary>
    public static string NewRev() => Guid.CreateVersion7().ToString("N");

    /// <summary>True for text in the form <see cref="NewRev"/> gives: 32 lowercase hex digits.</summary>
    public static bool IsRev(string? text) => text is { Length: 32 } && text.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    public static string Base64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string Sha256Hex(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
}
