using System.Security.Cryptography;
using System.Text;
using DropSync.Api.Blocks;
using DropSync.Core.Sharing;

namespace DropSync.Api.Hosting;

/// <summary>
/// The secrets derived from the master key (HKDF, one purpose each), the same in every mode so that a URL or link made
/// by one server is good on another: the block-URL signing key, the shared-link token key, the app-password key and the cursor-sealing key.
/// </summary>
internal static class MasterKeyDerivedServices
{
    public static void AddMasterKeyDerivedServices(this IServiceCollection services, ReadOnlySpan<byte> masterKey, IConfiguration config)
    {
        var signingKey = DeriveKey(masterKey, "dropsync/block-url-signing/v1");
        services.AddSingleton(sp => new SignedBlockUrls(
            signingKey, sp.GetRequiredService<IHttpContextAccessor>(), sp.GetRequiredService<TimeProvider>(), config["DropSync:PublicBaseUrl"]));
        services.AddSingleton(new LinkTokens(DeriveKey(masterKey, "dropsync/link-tokens/v1")));
        services.AddSingleton(new DropSync.Core.Accounts.AppPasswordKey(DeriveKey(masterKey, "dropsync/app-passwords/v1")));
        services.AddSingleton(new DropSync.Core.Feed.CursorSigner(DeriveKey(masterKey, "dropsync/cursors/v1")));
    }

    private static byte[] DeriveKey(ReadOnlySpan<byte> masterKey, string purpose)
    {
        var key = new byte[32];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, masterKey, key, salt: [], info: Encoding.UTF8.GetBytes(purpose));
        return key;
    }
}
