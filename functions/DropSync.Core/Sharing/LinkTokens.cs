using System.Security.Cryptography;
using System.Text;
using DropSync.Core.Accounts;

namespace DropSync.Core.Sharing;

/// <summary>
/// A link's URL token is an HMAC of its id under a server key, so the owner can copy a link's URL again at any time
/// while the store keeps only the token's hash (a leaked database does not leak working links).
/// </summary>
public sealed class LinkTokens(byte[] key)
{
    public string For(string linkId) => Ids.Base64Url(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(linkId)));
}
