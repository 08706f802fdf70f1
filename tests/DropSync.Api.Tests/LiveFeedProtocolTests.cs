using DropSync.Api.Tests.Infrastructure;

namespace DropSync.Api.Tests;

/// <summary>
/// The client's side of the live feed protocol (the same in AWS mode, where API Gateway's $default route answers):
/// {"action":"hello"} is answered with a hello, {"action":"ping"} with a pong, anything else with unknown_action.
/// </summary>
public sealed class LiveFeedProtocolTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    [Fact]
    public async Task Hello_is_answered_with_the_device_and_its_cursor_and_ping_with_pong()
    {
        var laptop = await factory.SignUpAsync(deviceName: "laptop");
        var phone = await factory.SignInAsync(laptop.Email!, "phone");
        await using var feed = await LiveFeed.ConnectAsync(factory, phone, tokenInQuery: true);
        var first = feed.Received.Single();

        await feed.SendAsync("""{"action":"hello"}""");
        var again = await feed.WaitForAsync(m => LiveFeed.Type(m) == "hello" && !ReferenceEquals(m, first), "a second hello");
        Assert.Equal(phone.DeviceId, again["device_id"]!.GetValue<string>());
        Assert.Equal(first["cursor"]!.GetValue<string>(), again["cursor"]!.GetValue<string>());

        // After a change the device saw, the hello's cursor is past it: continuing from it lists nothing old.
        await laptop.UploadOkAsync("/note.txt", "hi"u8.ToArray());
        await feed.WaitForChangeAsync("/note.txt");
        await feed.SendAsync("""{"action":"hello"}""");
        var later = await feed.WaitForAsync(m => LiveFeed.Type(m) == "hello" && m["cursor"]!.GetValue<string>() != first["cursor"]!.GetValue<string>(), "a hello after the change");
        var rest = await phone.OkAsync("/files/list_folder/continue", new { cursor = later["cursor"]!.GetValue<string>() });
        Assert.Empty(rest["entries"]!.AsArray());

        await feed.SendAsync("""{"action":"ping"}""");
        await feed.WaitForAsync(m => LiveFeed.Type(m) == "pong", "pong");
    }

    [Theory]
    [InlineData("""{"action":"subscribe"}""")]
    [InlineData("""{"no_action":true}""")]
    [InlineData("not json")]
    [InlineData("""["hello"]""")]
    public async Task Anything_else_is_answered_with_unknown_action_and_the_socket_stays_open(string message)
    {
        var device = await factory.SignUpAsync();
        await using var feed = await LiveFeed.ConnectAsync(factory, device);
        await feed.SendAsync(message);
        var error = await feed.WaitForAsync(m => LiveFeed.Type(m) == "error", "an error");
        Assert.Equal("unknown_action", error["error"]!.GetValue<string>());

        await feed.SendAsync("""{"action":"ping"}""");
        await feed.WaitForAsync(m => LiveFeed.Type(m) == "pong", "pong after the error");
        Assert.False(feed.IsClosed);
    }
}
