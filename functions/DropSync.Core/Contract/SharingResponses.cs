using DropSync.Core.Files;
using DropSync.Core.Sharing;

namespace DropSync.Core.Contract;

/// <summary><c>POST /sharing/list_members</c>.</summary>
public sealed record ListMembersResponse(IReadOnlyList<MemberInfo> Members);

/// <summary><c>POST /sharing/list_shared_with_me</c>.</summary>
public sealed record SharedWithMeResponse(IReadOnlyList<SharedWithMe> Entries);

/// <summary>
/// A shared link as its owner sees it: <c>url</c> is its JSON and download API (/s/{token}), <c>web_url</c> the page
/// people open in a browser (the web app's link view).
/// </summary>
public sealed record SharedLinkResponse(
    string LinkId,
    string Url,
    string WebUrl,
    string Path,
    DateTimeOffset? ExpiresAt,
    bool HasPassword,
    DateTimeOffset CreatedAt,
    DateTimeOffset? RevokedAt)
{
    /// <summary>The linked item's path as a comparison key (see <see cref="FileMetadata.PathLower"/>).</summary>
    public string PathLower => Paths.DropPath.KeyOf(Path);
}

/// <summary><c>POST /sharing/list_links</c>.</summary>
public sealed record ListLinksResponse(IReadOnlyList<SharedLinkResponse> Links);

/// <summary><c>GET /s/{token}</c>: the linked item's metadata and, for a folder, everything below it, a page at a time
/// (while <c>HasMore</c>, ask again with <c>?cursor=</c>).</summary>
public sealed record SharedLinkContentResponse(FileMetadata Metadata, IReadOnlyList<FileMetadata>? Entries, string? Cursor = null, bool HasMore = false);
