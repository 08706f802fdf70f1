using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DropSync.Core.Accounts;
using DropSync.Core.Content;
using DropSync.Core.Ports;

namespace DropSync.Api.Blocks;

/// <summary>
/// The embedded mode's presigned URLs: <c>/blocks/{hash}?op=&amp;u=&amp;size=&amp;exp=&amp;sig=</c>, where sig is an HMAC-SHA256
/// over the operation, user, block, size and expiry. A URL is good for one operation on one block of one user until it
/// expires, like a presigned S3 URL, so block transfers need no bearer token. Hand-written: no package signs URLs for
/// an ASP.NET Core app this way (ASP.NET's Data Protection makes opaque tokens, not verifiable query strings).
/// </summary>
public sealed class SignedBlockUrls(byte[] signingKey, IHttpContextAccessor http, TimeProvider clock, string? publicBaseUrl = null) : IBlockTransferUrls
{
    public const string Put = "put";
    public const string Get = "get";
    public const string GetRun = "getrun";
    public const string PutRun = "putrun";

    private static readonly IReadOnlyDictionary<string, string> UploadHeaders =
        new Dictionary<string, string> { ["Content-Type"] = "application/octet-stream" };

    public BlockTransferUrl UploadUrl(string userId, BlockRef block, TimeSpan lifetime) =>
        Make(Put, userId, block.Hash, block.Size, lifetime, UploadHeaders);

    public BlockTransferUrl DownloadUrl(string userId, BlockHash hash, TimeSpan lifetime) =>
        Make(Get, userId, hash, 0, lifetime, new Dictionary<string, string>());

    /// <summary>
    /// <c>/blocks/run?blocks=&lt;hash&gt;.&lt;size&gt;,…&amp;u=&amp;exp=&amp;sig=</c>: the signature covers the operation and
    /// the whole list (names, sizes, order), so the URL is good for exactly those blocks, as a block URL is for its one.
    /// </summary>
    public BlockTransferUrl RunDownloadUrl(string userId, IReadOnlyList<BlockRef> blocks, TimeSpan lifetime) =>
        MakeRun(GetRun, userId, blocks, lifetime, new Dictionary<string, string>());

    /// <summary>The same form as <see cref="RunDownloadUrl"/>, signed for a PUT of the blocks' bytes back to back.</summary>
    public BlockTransferUrl RunUploadUrl(string userId, IReadOnlyList<BlockRef> blocks, TimeSpan lifetime) =>
        MakeRun(PutRun, userId, blocks, lifetime, UploadHeaders);

    /// <summary>Checks a presented run URL's signature (over <paramref name="op"/> and its block list as given) and expiry, as <see cref="Verify"/>.</summary>
    public string? VerifyRun(string op, string userId, string blockList, long expires, string signature) =>
        Check(SignRun(op, userId, blockList, expires), signature, expires);

    /// <summary>Checks a presented URL's signature and expiry; answers the error code, or null if it is good.</summary>
    public string? Verify(string op, string userId, BlockHash hash, long size, long expires, string signature) =>
        Check(Sign(op, userId, hash, size, expires), signature, expires);

    private string? Check(string expected, string signature, long expires)
    {
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature)))
        {
            return "invalid_signature";
        }

        return clock.GetUtcNow().ToUnixTimeSeconds() > expires ? "url_expired" : null;
    }

    private BlockTransferUrl MakeRun(string op, string userId, IReadOnlyList<BlockRef> blocks, TimeSpan lifetime, IReadOnlyDictionary<string, string> headers)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        var list = BlockRunList.Format(blocks);
        var exp = (clock.GetUtcNow() + lifetime).ToUnixTimeSeconds();
        var query = string.Create(CultureInfo.InvariantCulture, $"blocks={list}&u={Uri.EscapeDataString(userId)}&exp={exp}&sig={SignRun(op, userId, list, exp)}");
        return new BlockTransferUrl($"{BaseUrl()}/blocks/run?{query}", headers, DateTimeOffset.FromUnixTimeSeconds(exp));
    }

    private BlockTransferUrl Make(string op, string userId, BlockHash hash, long size, TimeSpan lifetime, IReadOnlyDictionary<string, string> headers)
    {
        var expiresAt = clock.GetUtcNow() + lifetime;
        var exp = expiresAt.ToUnixTimeSeconds();
        var query = string.Create(
            CultureInfo.InvariantCulture,
            $"op={op}&u={Uri.EscapeDataString(userId)}&size={size}&exp={exp}&sig={Sign(op, userId, hash, size, exp)}");
        return new BlockTransferUrl($"{BaseUrl()}/blocks/{hash.Hex}?{query}", headers, DateTimeOffset.FromUnixTimeSeconds(exp));
    }

    private string BaseUrl()
    {
        if (publicBaseUrl is not null)
        {
            return publicBaseUrl.TrimEnd('/');
        }

        var request = http.HttpContext?.Request;
        return request is null ? "" : $"{request.Scheme}://{request.Host}{request.PathBase}";
    }

    private string SignRun(string op, string userId, string blockList, long expires)
    {
        var message = string.Create(CultureInfo.InvariantCulture, $"{op}\n{userId}\n{blockList}\n{expires}");
        return Ids.Base64Url(HMACSHA256.HashData(signingKey, Encoding.UTF8.GetBytes(message)));
    }

    private string Sign(string op, string userId, BlockHash hash, long size, long expires)
    {
        var message = string.Create(CultureInfo.InvariantCulture, $"{op}\n{userId}\n{hash.Hex}\n{size}\n{expires}");
        return Ids.Base64Url(HMACSHA256.HashData(signingKey, Encoding.UTF8.GetBytes(message)));
    }
}
