using System.Net;
using System.Text.Json.Nodes;

namespace DropSync.Api.Tests.Infrastructure;

/// <summary>Small helpers shared by the sharing, feed and authorisation tests.</summary>
public static class Sharing
{
    /// <summary>
    /// Shares a folder the way people do: the owner invites, the member accepts (answers the accepted mount); for someone
    /// who is a member already, add_member changes the role at once (answers add_member's answer).
    /// </summary>
    public static async Task<JsonNode> ShareAsync(ApiClient owner, string path, ApiClient member, string role)
    {
        var added = await owner.OkAsync("/sharing/add_member", new { path, email = member.Email, role });
        return added["status"]!.GetValue<string>() == "pending" ? await AcceptAsync(member, owner, path) : added;
    }

    /// <summary>Accepts the invitation from <paramref name="owner"/> to the folder they share at <paramref name="path"/>.</summary>
    public static async Task<JsonNode> AcceptAsync(ApiClient member, ApiClient owner, string path) =>
        await member.OkAsync("/sharing/accept_invitation", new { invitation_id = await InvitationIdAsync(member, owner, path) });

    /// <summary>The id of the member's invitation from <paramref name="owner"/> to the folder at <paramref name="path"/> (the owner's path).</summary>
    public static async Task<string> InvitationIdAsync(ApiClient member, ApiClient owner, string path)
    {
        var entries = (await member.OkAsync("/sharing/list_invitations", null))["entries"]!.AsArray();
        return entries.Single(e => e!["owner_email"]!.GetValue<string>() == owner.Email &&
            string.Equals(e["path"]!.GetValue<string>(), path, StringComparison.OrdinalIgnoreCase))!["invitation_id"]!.GetValue<string>();
    }

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
