using System.Net;
using System.Text.RegularExpressions;
using DropSync.Client.Api;
using DropSync.Core.Errors;

namespace DropSync.Cli;

/// <summary>
/// The one place that turns a server error into what the command line says. The server's messages are written for API
/// callers ("list them with /files/list_revisions", "sign in again with /auth/login"); a `dropsync` user needs the
/// command to run instead, said once.
/// </summary>
public static partial class CliErrors
{
    /// <param name="path">The path the command was given, if any, to put in the suggested command.</param>
    /// <param name="server">The server signed in to (or being signed in to), for `dropsync login`.</param>
    public static (int ExitCode, string Message) Describe(DropSyncApiException e, string? path, string? server)
    {
        var login = $"`dropsync login {(server is null ? "<server-url>" : CliText.Quote(server.TrimEnd('/')))}`";
        var pathWord = path is null ? "<path>" : CliText.Quote(path);
        var said = WithoutApiAdvice(e.ServerMessage);
        return e.Code switch
        {
            ErrorCodes.InvalidCredentials => (ExitCodes.NotSignedIn, $"{said} Check them and run {login} again."),
            // invalid_token (revoked or unknown) and unauthorized (no token) alike: this device must sign in again.
            _ when e.Status == HttpStatusCode.Unauthorized =>
                (ExitCodes.NotSignedIn, $"This device is no longer signed in (it was signed out or its token revoked). Sign in again with {login}."),
            ErrorCodes.RevNotFound or ErrorCodes.MissingRev => (ExitCodes.Error, $"{said} See the file's revisions with `dropsync revisions {pathWord}`."),
            // Sharing a file (409 not_folder, as listing one is): its message says to make a shared link instead.
            ErrorCodes.NotFolder when said.Contains("shared link", StringComparison.Ordinal) =>
                (ExitCodes.Error, $"{said.TrimEnd('.')}: `dropsync link {pathWord}`."),
            _ => (ExitCodes.Error, said),
        };
    }

    /// <summary>The server's message without its pointers to API endpoints, as one sentence ending in a full stop.</summary>
    internal static string WithoutApiAdvice(string message)
    {
        var text = ApiClause().Replace(message, "").Trim();
        if (text.Length == 0)
        {
            return message;
        }

        return text.EndsWith('.') || text.EndsWith('!') || text.EndsWith('?') ? text : text + ".";
    }

    // "; list them with /files/list_revisions", " (see /files/list_revisions)", "; sign in again with /auth/login":
    // a clause or parenthesis that names an endpoint, up to the end of its sentence.
    [GeneratedRegex(@"\s*(?:\([^()]*\s/(?:auth|files|sharing|blocks|notifications)/[^()]*\)|[;:,][^;:.()]*\s/(?:auth|files|sharing|blocks|notifications)/\S*?)(?=\.?$|\.\s)")]
    private static partial Regex ApiClause();
}
