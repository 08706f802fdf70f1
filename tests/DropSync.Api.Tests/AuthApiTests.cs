using System.Net;
using System.Net.Http.Headers;
using DropSync.Api.Tests.Infrastructure;

namespace DropSync.Api.Tests;

public sealed class AuthApiTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    [Fact]
    public async Task Signed_out_visitors_get_the_favicon_and_a_404_for_unknown_paths_but_a_401_from_the_api()
    {
        using var anonymous = factory.CreateClient();

        using var favicon = await anonymous.GetAsync("/favicon.ico");
        var icon = await favicon.Content.ReadAsByteArrayAsync();
        using var unknown = await anonymous.GetAsync("/robots.txt");
        var unknownBody = await ApiClient.ReadJsonAsync(unknown);
        using var api = await anonymous.PostAsync("/files/list_folder", System.Net.Http.Json.JsonContent.Create(new { path = "" }));

        Assert.Equal(HttpStatusCode.OK, favicon.StatusCode);
        Assert.Equal("image/x-icon", favicon.Content.Headers.ContentType?.MediaType);
        Assert.Equal(new byte[] { 0, 0, 1, 0 }, icon[..4]);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("not_found", unknownBody["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
    }

    [Fact]
    public async Task Each_login_is_a_device_listed_with_the_current_one_marked()
    {
        var laptop = await factory.SignUpAsync(deviceName: "laptop");
        var phone = await factory.SignInAsync(laptop.Email!, "phone");

        var devices = (await phone.OkAsync("/auth/list_devices", new { }))["devices"]!.AsArray();

        Assert.Equal(2, devices.Count);
        Assert.Contains(devices, d => d!["name"]!.GetValue<string>() == "phone" && d["current"]!.GetValue<bool>());
        Assert.Contains(devices, d => d!["name"]!.GetValue<string>() == "laptop" && !d["current"]!.GetValue<bool>());
        Assert.NotEqual(laptop.DeviceId, phone.DeviceId);
    }

    [Fact]
    public async Task A_revoked_device_is_refused_at_once_and_others_keep_working()
    {
        var laptop = await factory.SignUpAsync(deviceName: "laptop");
        var phone = await factory.SignInAsync(laptop.Email!, "phone");

        await laptop.OkAsync("/auth/revoke_device", new { device_id = phone.DeviceId });

        var (status, body) = await phone.PostAsync("/files/list_folder", new { path = "" });
        var remaining = (await laptop.OkAsync("/auth/list_devices", new { }))["devices"]!.AsArray();
        Assert.Equal([laptop.DeviceId], remaining.Select(d => d!["device_id"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("invalid_token", body["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await laptop.PostAsync("/files/list_folder", new { path = "" })).Status);
    }

    [Fact]
    public async Task Logout_ends_only_this_device()
    {
        var laptop = await factory.SignUpAsync();
        var phone = await factory.SignInAsync(laptop.Email!, "phone");

        await phone.OkAsync("/auth/logout", new { });

        Assert.Equal(HttpStatusCode.Unauthorized, (await phone.PostAsync("/auth/list_devices", new { })).Status);
        Assert.Equal(HttpStatusCode.OK, (await laptop.PostAsync("/auth/list_devices", new { })).Status);
    }

    [Fact]
    public async Task A_device_of_another_user_cannot_be_revoked()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();

        var (status, body) = await alice.PostAsync("/auth/revoke_device", new { device_id = bob.DeviceId });

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("device_not_found", body["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await bob.PostAsync("/auth/list_devices", new { })).Status);
    }

    [Theory]
    [InlineData("not-an-email", "long enough password", "invalid_email")]
    [InlineData("Bob <bob@example.com>", "long enough password", "invalid_email")]
    [InlineData("short@example.com", "short", "weak_password")]
    [InlineData(null, "long enough password", "invalid_email")]
    public async Task Bad_registrations_are_refused_with_a_code(string? email, string password, string code)
    {
        using var anonymous = new ApiClient(factory.CreateClient());

        var (status, body) = await anonymous.PostAsync("/auth/register", new { email, password });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(code, body["error"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(body["message"]!.GetValue<string>()));
    }

    [Fact]
    public async Task An_email_registers_once_whatever_its_case()
    {
        var email = $"Case-{Guid.NewGuid():N}@Example.com";
        using var anonymous = new ApiClient(factory.CreateClient());
        await anonymous.RegisterAsync(email, "correct horse battery");

        var (status, body) = await anonymous.PostAsync("/auth/register", new { email = email.ToUpperInvariant(), password = "another password" });

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("email_taken", body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_wrong_password_and_an_unknown_email_get_the_same_answer()
    {
        var alice = await factory.SignUpAsync();
        using var anonymous = new ApiClient(factory.CreateClient());

        var wrongPassword = await anonymous.PostAsync("/auth/login", new { email = alice.Email, password = "wrong password", device_name = "x" });
        var unknownEmail = await anonymous.PostAsync("/auth/login", new { email = "nobody@example.com", password = "wrong password", device_name = "x" });

        Assert.Equal(HttpStatusCode.Unauthorized, wrongPassword.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, unknownEmail.Status);
        Assert.Equal(wrongPassword.Body.ToJsonString(), unknownEmail.Body.ToJsonString());
    }

    [Theory]
    [InlineData("/files/list_folder")]
    [InlineData("/files/get_metadata")]
    [InlineData("/files/upload?uploadType=media&path=/a.txt")]
    [InlineData("/files/upload/finish")]
    [InlineData("/files/download")]
    [InlineData("/files/get_blocks")]
    [InlineData("/files/delete")]
    [InlineData("/files/move")]
    [InlineData("/files/restore")]
    [InlineData("/auth/list_devices")]
    [InlineData("/auth/logout")]
    public async Task Every_file_and_device_endpoint_needs_a_token(string url)
    {
        using var anonymous = factory.CreateClient();
        using var response = await anonymous.PostAsync(url, new StringContent("{}", new MediaTypeHeaderValue("application/json")));
        var body = await ApiClient.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("unauthorized", body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_made_up_token_is_refused()
    {
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "dst_made_up");
        using var response = await client.PostAsync("/files/list_folder", new StringContent("{}", new MediaTypeHeaderValue("application/json")));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_token", (await ApiClient.ReadJsonAsync(response))["error"]!.GetValue<string>());
    }
}
