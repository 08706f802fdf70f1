using System.Net;
using System.Net.Http.Headers;
using System.Text;
using DropSync.Api.Tests.Infrastructure;

namespace DropSync.Api.Tests;

/// <summary>Issue 13 (4): tokens that expire when idle, password changes, and the query-string token only on the live feed.</summary>
public sealed class SessionTests
{
    private static readonly object ListRoot = new { path = "" };

    [Fact]
    public async Task A_token_idle_past_the_timeout_answers_token_expired_and_use_keeps_it_alive()
    {
        using var factory = DropSyncApiFactory.WithSettings(("DropSync:TokenIdleTimeout", "10.00:00:00"));
        var busy = await factory.SignUpAsync(deviceName: "busy");
        var idle = await factory.SignInAsync(busy.Email!, "idle");

        // The busy device is used every 6 days: each use starts its 10-day window again.
        for (var i = 0; i < 3; i++)
        {
            factory.Clock.Advance(TimeSpan.FromDays(6));
            Assert.Equal(HttpStatusCode.OK, (await busy.PostAsync("/files/list_folder", ListRoot)).Status);
        }

        var (status, body) = await idle.PostAsync("/files/list_folder", ListRoot);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("token_expired", body["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await busy.PostAsync("/files/list_folder", ListRoot)).Status);

        // Signing in again gives the idle device a working token.
        var again = await factory.SignInAsync(busy.Email!, "idle");
        Assert.Equal(HttpStatusCode.OK, (await again.PostAsync("/files/list_folder", ListRoot)).Status);
    }

    [Fact]
    public async Task The_last_use_is_written_every_few_minutes_not_on_every_request()
    {
        using var factory = DropSyncApiFactory.WithSettings(("DropSync:DeviceLastUsedResolution", "00:05:00"));
        var laptop = await factory.SignUpAsync();
        var signedIn = await LastUsedAsync(laptop);

        factory.Clock.Advance(TimeSpan.FromMinutes(3));
        await laptop.OkAsync("/files/list_folder", ListRoot);
        var afterThreeMinutes = await LastUsedAsync(laptop);
        factory.Clock.Advance(TimeSpan.FromMinutes(3));
        await laptop.OkAsync("/files/list_folder", ListRoot);
        var afterSixMinutes = await LastUsedAsync(laptop);

        Assert.Equal(signedIn, afterThreeMinutes);
        Assert.True(afterSixMinutes - signedIn >= TimeSpan.FromMinutes(5.9), $"{signedIn:O} → {afterSixMinutes:O}");
    }

    [Fact]
    public async Task The_expired_token_helper_makes_a_caller_that_answers_token_expired()
    {
        using var factory = new DropSyncApiFactory();
        var owner = await factory.SignUpAsync();
        var expired = await factory.ExpiredDeviceOfAsync(owner);

        var (status, body) = await expired.PostAsync("/files/list_folder", ListRoot);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("token_expired", body["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await owner.PostAsync("/files/list_folder", ListRoot)).Status);
    }

    [Fact]
    public async Task Change_password_needs_the_old_one_signs_out_other_devices_and_revokes_app_passwords()
    {
        using var factory = new DropSyncApiFactory();
        var laptop = await factory.SignUpAsync(deviceName: "laptop");
        var phone = await factory.SignInAsync(laptop.Email!, "phone");
        var secret = (await laptop.OkAsync("/auth/create_app_password", new { name = "Finder" }))["app_password"]!.GetValue<string>();

        var (wrongStatus, wrongBody) = await laptop.PostAsync("/auth/change_password", new { old_password = "not it at all", new_password = "a new long password" });
        var (weakStatus, weakBody) = await laptop.PostAsync("/auth/change_password", new { old_password = "correct horse battery", new_password = "short" });
        Assert.Equal(HttpStatusCode.Unauthorized, wrongStatus);
        Assert.Equal("invalid_credentials", wrongBody["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, weakStatus);
        Assert.Equal("weak_password", weakBody["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await phone.PostAsync("/files/list_folder", ListRoot)).Status);

        var changed = await laptop.OkAsync("/auth/change_password", new { old_password = "correct horse battery", new_password = "a new long password" });

        Assert.Equal(1, changed["signed_out_devices"]!.GetValue<int>());
        Assert.Equal(1, changed["revoked_app_passwords"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.OK, (await laptop.PostAsync("/files/list_folder", ListRoot)).Status);
        var (phoneStatus, phoneBody) = await phone.PostAsync("/files/list_folder", ListRoot);
        Assert.Equal(HttpStatusCode.Unauthorized, phoneStatus);
        Assert.Equal("invalid_token", phoneBody["error"]!.GetValue<string>());
        var (oldStatus, _) = await new ApiClient(factory.CreateClient()).PostAsync("/auth/login", new { email = laptop.Email, password = "correct horse battery" });
        var (newStatus, _) = await new ApiClient(factory.CreateClient()).PostAsync("/auth/login", new { email = laptop.Email, password = "a new long password" });
        Assert.Equal(HttpStatusCode.Unauthorized, oldStatus);
        Assert.Equal(HttpStatusCode.OK, newStatus);

        using var dav = factory.CreateClient();
        using var propfind = new HttpRequestMessage(new HttpMethod("PROPFIND"), "/dav/");
        propfind.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{laptop.Email}:{secret}")));
        propfind.Headers.Add("Depth", "0");
        using var davResponse = await dav.SendAsync(propfind);
        Assert.Equal(HttpStatusCode.Unauthorized, davResponse.StatusCode);
    }

    [Fact]
    public async Task The_query_string_token_works_only_on_the_live_feed()
    {
        using var factory = new DropSyncApiFactory();
        var owner = await factory.SignUpAsync();
        await owner.UploadOkAsync("/a.txt", "hello"u8.ToArray());
        using var anonymous = factory.CreateClient();
        var token = Uri.EscapeDataString(owner.AccessToken!);

        using var download = await anonymous.GetAsync($"/files/download?path=%2Fa.txt&access_token={token}");
        using var list = await anonymous.PostAsync($"/files/list_folder?access_token={token}", System.Net.Http.Json.JsonContent.Create(ListRoot));
        await using var feed = await LiveFeed.ConnectAsync(factory, owner, tokenInQuery: true);

        Assert.Equal(HttpStatusCode.Unauthorized, download.StatusCode);
        Assert.Equal("unauthorized", (await ApiClient.ReadJsonAsync(download))["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, list.StatusCode);
        Assert.False(feed.IsClosed);
        using var withHeader = await owner.Http.GetAsync("/files/download?path=%2Fa.txt");
        Assert.Equal("hello", await withHeader.Content.ReadAsStringAsync());
    }

    private static async Task<DateTimeOffset> LastUsedAsync(ApiClient device)
    {
        var devices = (await device.OkAsync("/auth/list_devices", new { }))["devices"]!.AsArray();
        var current = devices.Single(d => d!["current"]!.GetValue<bool>());
        return DateTimeOffset.Parse(current!["last_used"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
