using System.Net.Http.Headers;
using DropSync.Core.Accounts;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using Microsoft.Extensions.DependencyInjection;

namespace DropSync.Api.Tests.Infrastructure;

/// <summary>
/// A caller whose token has gone idle for longer than the server's idle timeout, without moving the factory's clock
/// (which would expire every other device too): a device of <paramref name="user"/> is stored as signed in and last
/// used long before now. Its requests answer 401 token_expired.
/// </summary>
public static class ExpiredTokens
{
    public static Task<ApiClient> ExpiredDeviceOfAsync(this DropSyncApiFactory factory, ApiClient user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return factory.ExpiredDeviceOfAsync(user.Email!);
    }

    public static async Task<ApiClient> ExpiredDeviceOfAsync(this DropSyncApiFactory factory, string email)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(email);
        var store = factory.Services.GetRequiredService<IAccountStore>();
        var account = await store.FindAccountByEmailAsync(email.ToLowerInvariant(), CancellationToken.None)
            ?? throw new InvalidOperationException("sign the user up first");
        var idle = factory.Services.GetRequiredService<DropSync.Core.Files.DropSyncOptions>().TokenIdleTimeout;
        var longAgo = factory.Clock.GetUtcNow() - idle - TimeSpan.FromDays(1);
        var token = Ids.New("dst_", 32);
        await store.AddDeviceAsync(
            new Device { DeviceId = Ids.New("dev_"), UserId = account.UserId, Name = "idle device", TokenHash = Ids.Sha256Hex(token), CreatedAt = longAgo, LastUsedAt = longAgo },
            CancellationToken.None);
        var http = factory.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new ApiClient(http);
    }
}
