using DropSync.Core.Contract;
using DropSync.Core.Files;
using DropSync.Core.Model;
using DropSync.Core.Paths;
using DropSync.Core.Sharing;
using Microsoft.Extensions.Options;

namespace DropSync.Api.Apis;

/// <summary>
/// What a shared link's visitor can do, without an account: see the linked file or folder, and download it or anything
/// below it. The link's token is the only credential; its password, if it has one, comes in the DropSync-Link-Password
/// header (or the password query parameter, for plain browser links).
/// </summary>
internal static class PublicLinksApi
{
    public static IEndpointRouteBuilder MapPublicLinksApi(this IEndpointRouteBuilder routes)
    {
        var links = routes.MapGroup("/s").AllowAnonymous().WithTags("Shared links");
        links.MapGet("/{token}", OpenAsync).WithName("openSharedLink").WithSummary("The linked file's metadata, or the linked folder's listing in pages (limit, default 2,000; while has_more, again with cursor).");
        links.MapGet("/{token}/download", DownloadAsync).WithName("downloadSharedLink")
            .Produces<byte[]>(StatusCodes.Status200OK, "application/octet-stream").Produces<byte[]>(StatusCodes.Status206PartialContent, "application/octet-stream").WithSummary("Download the linked file, or a file in the linked folder (path=/<folder>/...).");
        links.MapPost("/{token}/get_blocks", GetBlocksAsync).WithName("getSharedLinkBlocks")
            .WithSummary("The linked file's (or a file in the linked folder's) blocks, each with a URL to GET it: for files too large to download directly.");
        return routes;
    }

    private static async Task<SharedLinkContentResponse> OpenAsync(
        string token, int? limit, string? cursor, HttpContext context, LinkService links, Core.Ports.IFileMetadataStore reader, Core.Feed.CursorSigner signer, DropSyncOptions options, CancellationToken ct)
    {
        var (_, root, entry) = await links.OpenAsync(token, Password(context), ct);
        var metadata = Visible(entry, root)!;
        if (entry.Kind == EntryKind.File)
        {
            return new SharedLinkContentResponse(metadata, null);
        }

        // Keyset pages of the folder's content, by the owner's path key; the cursor is sealed for this link alone.
        var kind = "link\n" + token;
        var after = cursor is null ? null : signer.Open(kind, cursor) is { } payload ? System.Text.Encoding.UTF8.GetString(payload)
            : throw Core.Errors.Errors.BadRequest(Core.Errors.ErrorCodes.InvalidCursor, "This cursor is not one this link gave; open the link again.");
        var size = options.PageSize(limit);
        var entries = await reader.ListPageAsync(root.NamespaceId, root.InnerRoot.Key, recursive: true, after, size + 1, ct);
        var page = entries.Take(size).ToList();
        var next = entries.Count > size ? signer.Seal(kind, System.Text.Encoding.UTF8.GetBytes(page[^1].PathKey)) : null;
        return new SharedLinkContentResponse(metadata, [.. page.Select(e => Visible(e, root)).OfType<FileMetadata>()], next, next is not null);
    }

    private static async Task<IResult> DownloadAsync(
        string token, string? path, HttpContext context, LinkService links, FileService files, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json)
    {
        var (_, shown, metadata, revision) = await ReadAsync(token, path, context, links, files);
        context.Response.Headers.ContentDisposition = $"attachment; filename*=UTF-8''{Uri.EscapeDataString(shown.Name)}";
        await DownloadApi.WriteContentAsync(context, metadata, revision, files, json.Value.SerializerOptions, $"/s/{token}/get_blocks");
        return Results.Empty;
    }

    private static async Task<BlockList> GetBlocksAsync(string token, LinkBlocksRequest? request, HttpContext context, LinkService links, FileService files)
    {
        var (link, _, metadata, revision) = await ReadAsync(token, request?.Path, context, links, files);
        return files.BlocksOf(metadata, revision, link.OwnerUserId, request?.Start, request?.Limit);
    }

    /// <summary>The current revision of the linked file, or of a file in the linked folder, as the visitor sees it.</summary>
    private static async Task<(SharedLink Link, DropPath Shown, FileMetadata Metadata, FileRevision Revision)> ReadAsync(
        string token, string? path, HttpContext context, LinkService links, FileService files)
    {
        var ct = context.RequestAborted;
        var (link, root, _) = await links.OpenAsync(token, Password(context), ct);
        var shown = string.IsNullOrEmpty(path) ? root.ViewRoot : DropPath.Parse(path, allowRoot: false);
        if (!root.ViewRoot.Contains(shown))
        {
            throw Core.Errors.Errors.NotFound(Core.Errors.ErrorCodes.NotFound, $"\"{shown}\" is not in this link; paths start with \"{root.ViewRoot}\".");
        }

        var (metadata, revision) = await files.ReadRevisionAsync(root.At(shown.Rebase(root.ViewRoot, root.InnerRoot)), shown, null, ct);
        return (link, shown, metadata.ForLinkVisitor(), revision);
    }

    /// <summary>
    /// An entry as the link's visitor sees it: its path below the linked item ("/&lt;linked name&gt;/..."), without the
    /// owner's revision and device ids. Null for anything outside the linked item, so that nothing is ever shown under
    /// its path in the owner's tree.
    /// </summary>
    private static FileMetadata? Visible(FileEntry entry, Location root) =>
        root.ToView(entry.PathDisplay) is { } path
            ? (FileMetadata.From(entry) with { Path = path }).ForLinkVisitor()
            : null;

    private static string? Password(HttpContext context) =>
        context.Request.Headers.TryGetValue("DropSync-Link-Password", out var header) ? header.ToString() : context.Request.Query["password"].ToString() is { Length: > 0 } q ? q : null;

    /// <summary>The body of POST /s/{token}/get_blocks: which file of a linked folder (none: the linked file), and which page of its blocks.</summary>
    internal sealed record LinkBlocksRequest(string? Path, int? Start, int? Limit);
}
