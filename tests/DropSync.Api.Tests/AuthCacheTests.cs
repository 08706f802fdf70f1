using System.Net;
using System.Net.Http.Headers;
using System.Text;
using DropSync.Api.Tests.Infrastructure;

namespace DropSync.Api.Tests;

/// <summary>
/// The embedded server keeps validated devices and accounts in memory (SqliteMetadataStore.AuthCache): a device, app
/// password or token whose authentication has been served from memory for many requests is still refused on its very
/// next request once revoked, signed out, signed out by a password change, or idle too long.
/// </summary>
public sealed class AuthCacheTests
{
    private static readonly object ListRoot = new { path = "" };

    [Fact]
    public async Task A_device_used_many_times_is_refused_on_its_next_request_after_being_revoked()
    {
        using var factory = new DropSyncApiFactory();
        var laptop = await factory.SignUpAsync(deviceName: "laptop");
        var phone = await factory.SignInAsync(laptop.Email!, "phone");
        await WarmAsync(phone);

        await laptop.OkAsync("/auth/revoke_device", new { device_id = phone.DeviceId });
        var (status, body) = await phone.PostAsync("/files/list_folder", ListRoot);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("invalid_token", body["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await laptop.PostAsync("/files/list_folder", ListRoot)).Status);
    }

    [Fact]
    public async Task A_device_used_many_times_is_refused_on_its_next_request_after_signing_out()
    {
        using var factory = new DropSyncApiFactory();
        var laptop = await factory.SignUpAsync();
        await WarmAsync(laptop);

        await laptop.OkAsync("/auth/logout", new { });

        Assert.Equal(HttpStatusCode.Unauthorized, (await laptop.PostAsync("/files/list_folder", ListRoot)).Status);
    }

    [Fact]
    public async Task Other_devices_used_many_times_are_refused_on_their_next_request_after_a_password_change()
    {
        using var factory = new DropSyncApiFactory();
        var laptop = await factory.SignUpAsync(deviceName: "laptop");
        var phone = await factory.SignInAsync(laptop.Email!, "phone");
        await WarmAsync(phone);
        await WarmAsync(laptop);

        await laptop.OkAsync("/auth/change_password", new { old_password = "correct horse battery", new_password = "a new long password" });

        Assert.Equal(HttpStatusCode.Unauthorized, (await phone.PostAsync("/files/list_folder", ListRoot)).Status);
        Assert.Equal(HttpStatusCode.OK, (await laptop.PostAsync("/files/list_folder", ListRoot)).Status);
    }

    [Fact]
    public async Task A_token_used_many_times_still_expires_when_idle_past_the_timeout()
    {
        using var factory = DropSyncApiFactory.WithSettings(("DropSync:TokenIdleTimeout", "10.00:00:00"));
        var laptop = await factory.SignUpAsync();
        await WarmAsync(laptop);

        factory.Clock.Advance(TimeSpan.FromDays(9));
        Assert.Equal(HttpStatusCode.OK, (await laptop.PostAsync("/files/list_folder", ListRoot)).Status);
        factory.Clock.Advance(TimeSpan.FromDays(9));
        Assert.Equal(HttpStatusCode.OK, (await laptop.PostAsync("/files/list_folder", ListRoot)).Status);
        factory.Clock.Advance(TimeSpan.FromDays(11));
        var (status, body) = await laptop.PostAsync("/files/list_folder", ListRoot);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("token_expired", body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_app_password_used_many_times_is_refused_on_its_next_request_after_being_revoked()
    {
        using var factory = new DropSyncApiFactory();
        var laptop = await factory.SignUpAsync();
        var created = await laptop.OkAsync("/auth/create_app_password", new { name = "Finder" });
        var secret = created["app_password"]!.GetValue<string>();
        using var dav = factory.CreateClient();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.MultiStatus, await PropfindAsync(dav, laptop.Email!, secret));
        }

        await laptop.OkAsync("/auth/revoke_app_password", new { id = created["id"]!.GetValue<string>() });

        Assert.Equal(HttpStatusCode.Unauthorized, await PropfindAsync(dav, laptop.Email!, secret));
    }

    private static async Task WarmAsync(ApiClient device)
    {
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await device.PostAsync("/files/list_folder", ListRoot)).Status);
        }
    }

    private static async Task<HttpStatusCode> PropfindAsync(HttpClient client, string email, string secret)
    {
        using var propfind = new HttpRequestMessage(new HttpMethod("PROPFIND"), "/dav/");
        propfind.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{email}:{secret}")));
        propfind.Headers.Add("Depth", "0");
        using var response = await client.SendAsync(propfind);
        return response.StatusCode;
    }
}
