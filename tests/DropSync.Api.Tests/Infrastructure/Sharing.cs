using System.Net;
using System.Text.Json.Nodes;

namespace DropSync.Api.Tests.Infrastructure;

/// <summary>Small helpers shared by the sharing, feed and authorisation tests.</summary>
public static class Sharing
{
    public static async Task ShareAsync(ApiClient owner, string path, ApiClient member, string role) =>
        await owner.OkAsync("/sharing/add_member", new { path, email = member.Email, role });

    public static string[] Paths(JsonNode listing) =>
        listing["entries"]!.AsArray().Select(e => e!["path"]!.GetValue<string>()).ToArray();

    public static async Task<string[]> TreeAsync(ApiClient client, string path = "") =>
        Paths(await client.OkAsync("/files/list_folder", new { path, recursive = true }));

    public static string Error(JsonNode body) => body["error"]?.GetValue<string>() ?? "";

    public static void Status(HttpStatusCode expected, (HttpStatusCode Status, JsonNode Body) answer, string? error = null)
    {
        Assert.True(answer.Status == expected, $"expected {(int)expected}, got {(int)answer.Status}: {answer.Body.ToJsonString()}");
        if (error is not null)
        {
            Assert.Equal(error, Error(answer.Body));
        }
    }

    public static byte[] Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text);
}
