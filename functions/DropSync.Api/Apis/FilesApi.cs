using DropSync.Api.Auth;
using DropSync.Core.Contract;
using DropSync.Core.Files;

namespace DropSync.Api.Apis;

/// <summary>Metadata, listings, revisions and organising files. Uploads are in <see cref="UploadApi"/>, downloads in <see cref="DownloadApi"/>.</summary>
internal static class FilesApi
{
    public static IEndpointRouteBuilder MapFilesApi(this IEndpointRouteBuilder routes)
    {
        var files = routes.MapGroup("/files").WithTags("Files");
        files.MapPost("/get_metadata", GetMetadataAsync).WithName("getMetadata").WithSummary("Metadata of a file or folder.");
        files.MapPost("/list_folder", ListFolderAsync).WithName("listFolder").WithSummary("The entries of a folder, optionally recursive, in pages of limit entries (default 2,000); while has_more, /files/list_folder/continue gives the next.");
        files.MapPost("/list_deleted", ListDeletedAsync).WithName("listDeleted").WithSummary("Deleted files below a folder, newest first; restore them with /files/restore.");
        files.MapPost("/list_revisions", ListRevisionsAsync).WithName("listRevisions").WithSummary("A file's revisions, newest first.");
        files.MapPost("/restore", RestoreAsync).WithName("restore").WithSummary("Make an old revision the current one (also brings back deleted files).");
        files.MapPost("/create_folder", CreateFolderAsync).WithName("createFolder").WithSummary("Create a folder (and any missing parents).");
        files.MapPost("/delete", DeleteAsync).WithName("delete").WithSummary("Delete a file or a folder with its contents; revisions are kept.");
        files.MapPost("/move", MoveAsync).WithName("move").WithSummary("Move or rename a file or folder.");
        files.MapPost("/copy", CopyAsync).WithName("copy").WithSummary("Copy a file or folder.");
        return routes;
    }

    private static async Task<FileMetadata> GetMetadataAsync(MetadataRequest request, HttpContext context, FileService files, CancellationToken ct) =>
        await files.GetMetadataAsync(context.Caller(), request.Path, request.IncludeDeleted, ct);

    private static async Task<ListFolderResponse> ListFolderAsync(ListFolderRequest request, HttpContext context, FolderPager pager, Core.Feed.ChangeFeed feed, DropSyncOptions options, CancellationToken ct)
    {
        // The cursor is taken before listing, so a change made during the listing is delivered again rather than missed.
        // While has_more, it pages the listing on (/files/list_folder/continue); after the last page it follows changes.
        var caller = context.Caller();
        var cursor = await feed.LatestAsync(caller, request.Path, request.Recursive, ct);
        var page = await pager.ListPageAsync(caller, request.Path, request.Recursive, after: null, options.PageSize(request.Limit), ct);
        return new ListFolderResponse(page.Entries, (cursor with { After = page.NextAfter }).Encode(), HasMore: page.NextAfter is not null);
    }

    private static async Task<ListDeletedResponse> ListDeletedAsync(ListDeletedRequest request, HttpContext context, FileService files, CancellationToken ct) =>
        new(await files.ListDeletedAsync(context.Caller(), request.Path, request.Limit ?? 500, ct));

    private static async Task<ListRevisionsResponse> ListRevisionsAsync(ListRevisionsRequest request, HttpContext context, FileService files, CancellationToken ct)
    {
        var revisions = await files.ListRevisionsAsync(context.Caller(), request.Path, request.Limit ?? 10, ct);
        return new ListRevisionsResponse([.. revisions.Select(r => new RevisionResponse(r.Rev, r.PathDisplay, r.Size, r.ContentHash, r.ServerModified, r.DeviceId))]);
    }

    private static async Task<FileMetadata> RestoreAsync(PathRequest request, HttpContext context, FileService files, CancellationToken ct) =>
        await files.RestoreAsync(context.Caller(), request.Path, request.Rev, ct);

    private static async Task<FileMetadata> CreateFolderAsync(PathRequest request, HttpContext context, FileService files, CancellationToken ct) =>
        await files.CreateFolderAsync(context.Caller(), request.Path, ct);

    private static async Task<FileMetadata> DeleteAsync(PathRequest request, HttpContext context, FileService files, CancellationToken ct) =>
        await files.DeleteAsync(context.Caller(), request.Path, ct);

    private static async Task<FileMetadata> MoveAsync(RelocationRequest request, HttpContext context, FileService files, CancellationToken ct) =>
        await files.MoveAsync(context.Caller(), request.FromPath, request.ToPath, ct);

    private static async Task<FileMetadata> CopyAsync(RelocationRequest request, HttpContext context, FileService files, CancellationToken ct) =>
        await files.CopyAsync(context.Caller(), request.FromPath, request.ToPath, ct);
}
