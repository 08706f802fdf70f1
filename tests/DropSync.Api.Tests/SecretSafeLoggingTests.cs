using System.Collections.Concurrent;
using System.Net;
using DropSync.Api.Hosting;
using DropSync.Api.Tests.Infrastructure;
using DropSync.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace DropSync.Api.Tests;

/// <summary>Secrets that travel in URLs (a block URL's signature, the live feed's access token, a share link's token) never reach a log.</summary>
public sealed class SecretSafeLoggingTests : IDisposable
{
    private const string LinkToken = "LinkTokenThatMustNotBeLogged";
    private const string Signature = "SignatureThatMustNotBeLogged";

    private readonly string _root = Directory.CreateTempSubdirectory("dropsync-logging-").FullName;

    [Fact]
    public async Task With_every_category_at_trace_no_log_line_holds_a_url_secret()
    {
        // What an operator chasing a problem might set: everything, ASP.NET Core's own categories included.
        using var factory = DropSyncApiFactory.WithSettings(("Logging:LogLevel:Default", "Trace"), ("Logging:LogLevel:Microsoft.AspNetCore", "Trace"));
        var lines = new ConcurrentQueue<string>();
        using var host = factory.WithWebHostBuilder(b => b.ConfigureLogging(l => l.AddProvider(new LogLines(lines))));
        var client = new ApiClient(host.CreateClient());
        await client.RegisterAsync("logs@example.com", "correct horse battery");
        await client.LoginAsync("logs@example.com", "correct horse battery", "laptop");
        var token = client.AccessToken!;

        using var anonymous = host.CreateClient();
        using var feed = await anonymous.GetAsync($"/notifications/ws?access_token={token}");
        using var block = await anonymous.PutAsync($"/blocks/{new string('a', 64)}?op=put&u=u_x&size=1&exp=1&sig={Signature}", new ByteArrayContent([1]));
        using var link = await anonymous.GetAsync($"/s/{LinkToken}");
        using var page = await anonymous.GetAsync($"/link/{LinkToken}");

        Assert.Equal(HttpStatusCode.Forbidden, block.StatusCode);
        // The capture works and ASP.NET Core did log at these levels (routing names each endpoint by its template)...
        Assert.Contains(lines, l => l.Contains("Executing endpoint", StringComparison.Ordinal));
        // ...but no line holds the query strings' or the link's secrets.
        var leaks = lines.Where(l => new[] { token, Signature, LinkToken }.Any(secret => l.Contains(secret, StringComparison.Ordinal))).ToList();
        Assert.True(leaks.Count == 0, "secrets logged:\n" + string.Join("\n", leaks));
    }

    [Fact]
    public async Task A_server_started_outside_its_folder_still_reads_its_appsettings_and_logs_no_request_urls()
    {
        // A service unit or `dotnet /opt/dropsync/DropSync.Api.dll` starts the server elsewhere; before, it then missed
        // appsettings.json ("Microsoft.AspNetCore": "Warning") and logged every request's URL, query string included.
        var elsewhere = Directory.CreateDirectory(Path.Combine(_root, "elsewhere")).FullName;
        await using var server = await ServerProcess.StartInAsync(elsewhere, Path.Combine(_root, "data"), Path.Combine(_root, "keys"));
        using var http = server.CreateClient();

        using var refused = await http.GetAsync($"/files/list_folder?access_token={LinkToken}");

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("DropSync listening on", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(LinkToken, server.Output, StringComparison.Ordinal);
        // appsettings.json was read: ASP.NET Core's routing logs only from Warning up.
        Assert.DoesNotContain("Executing endpoint", server.Output, StringComparison.Ordinal);
        // The data folder is still the one given, relative or not, and nothing was made in the working directory.
        Assert.True(Directory.Exists(Path.Combine(_root, "data")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(elsewhere));
    }

    [Theory]
    [InlineData("/s/abc123", "/s/*")]
    [InlineData("/link/abc123", "/link/*")]
    [InlineData("/S/abc123", "/S/*")]
    [InlineData("/blocks/run", "/blocks/*")]
    [InlineData("/files/list_folder", "/files/list_folder")]
    [InlineData("/dav/Photos/a.jpg", "/dav/Photos/a.jpg")]
    [InlineData("/shared", "/shared")]
    [InlineData("", "")]
    public void Own_log_lines_cut_link_tokens_and_block_names_from_paths(string path, string logged) =>
        Assert.Equal(logged, SecretSafeLogging.LoggedPath(new PathString(path.Length == 0 ? null : path)));

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
