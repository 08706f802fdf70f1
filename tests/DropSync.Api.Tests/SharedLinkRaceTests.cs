using System.Net;
using System.Text.Json.Nodes;
using DropSync.Api.Tests.Infrastructure;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using DropSync.Embedded.Metadata;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using static DropSync.Api.Tests.Infrastructure.Sharing;

namespace DropSync.Api.Tests;

/// <summary>
/// A link made at the very moment its item is moved: the move reads the item's links before its batch lands, so a link
/// stored in between is not in that batch. Whichever way the two interleave, the link either follows the item or its
/// creator is told it was not made; it is never left pointing at the old path while the creator believes it works.
/// </summary>
public sealed class SharedLinkRaceTests : IDisposable
{
    private readonly DropSyncApiFactory _base = DropSyncApiFactory.WithSettings();
    private readonly HookedSharingStore _hooks = new();
    private readonly HookedServer _factory;

    public SharedLinkRaceTests() =>
        _factory = new HookedServer(_base.WithWebHostBuilder(builder => builder.ConfigureTestServices(
            services => services.AddSingleton<ISharingStore>(sp => _hooks.Wrap(sp.GetRequiredService<SqliteMetadataStore>())))));

    [Fact]
    public async Task A_link_stored_after_the_move_read_the_links_is_taken_along_once_the_move_lands()
    {
        var alice = await _factory.SignUpAsync();
        await alice.UploadOkAsync("/Docs/report.pdf", Bytes("the report"));
        (HttpStatusCode Status, JsonNode Body) created = default;
        _hooks.AfterNextLinkQuery = async () => created = await alice.PostAsync("/sharing/create_link", new { path = "/Docs/report.pdf" });

        await alice.OkAsync("/files/move", new { from_path = "/Docs", to_path = "/Archive" });

        Status(HttpStatusCode.OK, created);
        var token = new Uri(created.Body!["url"]!.GetValue<string>()).AbsolutePath["/s/".Length..];
        using var anonymous = _factory.Inner.CreateClient();
        Assert.Equal(Bytes("the report"), await anonymous.GetByteArrayAsync($"/s/{token}/download"));
        var listed = (await alice.OkAsync("/sharing/list_links", null))["links"]!.AsArray().Single()!;
        Assert.Equal("/Archive/report.pdf", listed["path"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_link_stored_after_the_move_landed_is_turned_off_and_its_creator_told()
    {
        var alice = await _factory.SignUpAsync();
        await alice.UploadOkAsync("/Docs/report.pdf", Bytes("the report"));
        _hooks.BeforeNextCreate = async () => await alice.OkAsync("/files/move", new { from_path = "/Docs", to_path = "/Archive" });

        var created = await alice.PostAsync("/sharing/create_link", new { path = "/Docs/report.pdf" });

        Status(HttpStatusCode.Conflict, created, "path_changed");
        var listed = (await alice.OkAsync("/sharing/list_links", null))["links"]!.AsArray().Single()!;
        Assert.NotNull(listed["revoked_at"]);
        using var anonymous = _factory.Inner.CreateClient();
        var token = new Uri(listed["url"]!.GetValue<string>()).AbsolutePath["/s/".Length..];
        Assert.Equal(HttpStatusCode.Gone, (await anonymous.GetAsync($"/s/{token}/download")).StatusCode);
    }

    public void Dispose()
    {
        _factory.Inner.Dispose();
        _base.Dispose();
    }

    /// <summary>Signs users up on the hooked server.</summary>
    private sealed class HookedServer(WebApplicationFactory<Program> inner)
    {
        public WebApplicationFactory<Program> Inner { get; } = inner;

        public async Task<ApiClient> SignUpAsync()
        {
            var client = new ApiClient(Inner.CreateClient());
            var email = $"user-{Guid.NewGuid():N}@example.com";
            await client.RegisterAsync(email, "correct horse battery");
            await client.LoginAsync(email, "correct horse battery", "laptop");
            return client;
        }
    }

    /// <summary>The embedded sharing store, passed through, with one-shot hooks around the link query and link creation.</summary>
    private sealed class HookedSharingStore : ISharingStore
    {
        private ISharingStore _inner = null!;
        private Func<Task>? _afterNextLinkQuery;
        private Func<Task>? _beforeNextCreate;

        /// <summary>Runs once, after the next links query has read (the hook's own requests do not trigger it again).</summary>
        public Func<Task>? AfterNextLinkQuery
        {
            set => _afterNextLinkQuery = value;
        }

        /// <summary>Runs once, before the next link is stored.</summary>
        public Func<Task>? BeforeNextCreate
        {
            set => _beforeNextCreate = value;
        }

        public ISharingStore Wrap(ISharingStore inner)
        {
            _inner = inner;
            return this;
        }

        public async Task<IReadOnlyList<SharedLink>> ListLinksAtOrBelowAsync(string namespaceId, string pathKey, CancellationToken cancellationToken)
        {
            var links = await _inner.ListLinksAtOrBelowAsync(namespaceId, pathKey, cancellationToken);
            if (Interlocked.Exchange(ref _afterNextLinkQuery, null) is { } hook)
            {
                await hook();
            }

            return links;
        }

        public async Task CreateLinkAsync(SharedLink link, CancellationToken cancellationToken)
        {
            if (Interlocked.Exchange(ref _beforeNextCreate, null) is { } hook)
            {
                await hook();
            }

            await _inner.CreateLinkAsync(link, cancellationToken);
        }

        public Task<Share?> GetShareAsync(string shareId, CancellationToken cancellationToken) => _inner.GetShareAsync(shareId, cancellationToken);

        public Task<IReadOnlyList<Share>> ListSharesInNamespaceAsync(string namespaceId, CancellationToken cancellationToken) =>
            _inner.ListSharesInNamespaceAsync(namespaceId, cancellationToken);

        public Task<IReadOnlyList<ShareMember>> ListMembersAsync(string shareId, CancellationToken cancellationToken) => _inner.ListMembersAsync(shareId, cancellationToken);

        public Task<IReadOnlyList<Membership>> ListMembershipsAsync(string userId, CancellationToken cancellationToken) => _inner.ListMembershipsAsync(userId, cancellationToken);

        public Task<SharedLink?> FindLinkByTokenHashAsync(string tokenHash, CancellationToken cancellationToken) => _inner.FindLinkByTokenHashAsync(tokenHash, cancellationToken);

        public Task<IReadOnlyList<SharedLink>> ListLinksAsync(string ownerUserId, CancellationToken cancellationToken) => _inner.ListLinksAsync(ownerUserId, cancellationToken);

        public Task<bool> RevokeLinkAsync(string ownerUserId, string linkId, DateTimeOffset at, CancellationToken cancellationToken) =>
            _inner.RevokeLinkAsync(ownerUserId, linkId, at, cancellationToken);
    }
}
