using System.Net;
using System.Net.Http.Json;
using DropSync.AwsHarness.Recording;

namespace DropSync.AwsHarness.Tests.EndToEnd;

/// <summary>
/// A device revoked by another of the account's devices loses its live feed at once: the http function's signed
/// DELETE @connections (allowed by its IAM policy) closes it, later changes do not reach it, and it cannot reconnect.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "AwsHarness")]
public sealed class RevokedDeviceTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task A_revoked_devices_socket_is_closed_by_the_server_gets_no_more_events_and_cannot_reconnect()
    {
        var harness = await fixture.HarnessAsync();
        var emulator = harness.WebSocketApi!;
        var email = await EndToEndFixture.RegisterAsync(harness.HttpApiUrl);
        using var a = await EndToEndFixture.LoginAsync(harness.HttpApiUrl, email, "laptop-a");
        using var b = await EndToEndFixture.LoginAsync(harness.HttpApiUrl, email, "phone-b");
        using var c = await EndToEndFixture.LoginAsync(harness.HttpApiUrl, email, "tablet-c");

        var before = emulator.OpenConnections.Keys.ToHashSet(StringComparer.Ordinal);
        var (socketB, helloB) = await LiveSocket.OpenAsync(harness.WebSocketUrl, b.Token);
        await using var _ = socketB;
        Assert.Equal(b.DeviceId, helloB["device_id"]!.GetValue<string>());
        var connectionB = Assert.Single(emulator.OpenConnections.Keys, k => !before.Contains(k));
        var (socketC, _) = await LiveSocket.OpenAsync(harness.WebSocketUrl, c.Token);
        await using var __ = socketC;

        var deletesBefore = DeletesOf(harness, connectionB);
        using (var revoke = await a.Api.PostAsJsonAsync("/auth/revoke_device", new { device_id = b.DeviceId }))
        {
            Assert.True(revoke.IsSuccessStatusCode, await revoke.Content.ReadAsStringAsync());
        }

        // The server closed B's socket: the http function's DELETE @connections/{id} went through, as IAM allows it.
        Assert.NotNull(await socketB.Closed.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.DoesNotContain(connectionB, emulator.OpenConnections.Keys);
        Assert.Equal(deletesBefore + 1, DeletesOf(harness, connectionB));

        // A later commit of A reaches C (the proof it was delivered), never B.
        using (var commit = await a.Api.PostAsync("/files/upload?uploadType=media&path=%2Fafter-revoke.txt", new ByteArrayContent("x"u8.ToArray())))
        {
            Assert.True(commit.IsSuccessStatusCode, await commit.Content.ReadAsStringAsync());
        }

        var change = await socketC.NextAsync("change", TimeSpan.FromSeconds(15));
        Assert.Contains("after-revoke.txt", change.ToJsonString(), StringComparison.Ordinal);
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.False(socketB.Received("change"));

        // B cannot come back: $connect refuses its revoked token.
        Assert.Equal(HttpStatusCode.Unauthorized, await LiveSocket.HandshakeStatusAsync(harness.WebSocketUrl, b.Token));
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await LiveSocket.HandshakeStatusAsync(harness.WebSocketUrl, c.Token));
    }

    private static int DeletesOf(AwsHarness harness, string connectionId) =>
        harness.Calls.Snapshot().Count(call => call is { Function: "http", Action: "execute-api:ManageConnections" }
            && call.Resource.EndsWith("/DELETE/@connections/" + connectionId, StringComparison.Ordinal));
}
