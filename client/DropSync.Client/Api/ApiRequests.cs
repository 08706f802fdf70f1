namespace DropSync.Client.Api;

// The request bodies the client sends, named so the JSON source generator (ClientJsonContext) can write them: no
// reflection, which Native AOT and a fast start-up both need. Null members are left out (DropSyncApi.Json).
internal sealed record EmptyRequest;

internal sealed record LoginRequest(string Email, string Password, string DeviceName);

internal sealed record CursorRequest(string? Cursor);

internal sealed record ListFolderRequest(string Path, bool Recursive);

internal sealed record ContinueRequest(string Cursor, int? Limit);

internal sealed record PathRequest(string Path);

internal sealed record PathRevRequest(string Path, string? Rev);

internal sealed record PathLimitRequest(string Path, int Limit);

internal sealed record MemberRequest(string Path, string Email, string? Role);

internal sealed record InvitationIdRequest(string InvitationId);

internal sealed record CreateLinkRequest(string Path, DateTimeOffset? Expires, string? Password);

internal sealed record NameRequest(string Name);

internal sealed record IdRequest(string Id);

internal sealed record MoveRequest(string FromPath, string ToPath);

/// <summary>The manifest that starts a resumable upload: the whole block list, or with <c>MoreBlocks</c> its first part.
/// <c>ContentHashKind</c> "b1" asks for the content hash derived from the block list (servers that advertise it in /config).</summary>
internal sealed record BeginUploadRequest(string Path, long Size, IEnumerable<BlockSpec> Blocks, string Mode, string? Rev, bool? MoreBlocks = null, string? ContentHashKind = null);

/// <summary>The next part of a resumable upload's block list, from block <c>Index</c> on.</summary>
internal sealed record AddUploadBlocksRequest(string UploadId, int Index, IEnumerable<BlockSpec> Blocks);

internal sealed record UploadIdRequest(string UploadId);

/// <summary>A page of a file's block list from block <c>Start</c>; <c>Limit</c> caps the page (a resumed download asks
/// for the stretch it still needs, so the server cuts that stretch's runs).</summary>
internal sealed record GetBlocksRequest(string Path, string? Rev, int Start, int? Limit = null);

internal sealed record BatchManifestFile(string Path, string Mode, string? Rev);

/// <summary>The "manifest" part of <c>/files/upload_batch</c>.</summary>
internal sealed record BatchManifest(IEnumerable<BatchManifestFile> Files);

internal sealed record DownloadBatchRequest(IEnumerable<PathRevRequest> Files);

// Answers only the client reads.
internal sealed record DevicesResult(IReadOnlyList<DeviceInfo> Devices, string? Cursor = null, bool HasMore = false);

internal sealed record RevisionsResult(IReadOnlyList<Revision> Entries);

internal sealed record BatchResult(IReadOnlyList<BatchFileResult> Entries);

internal sealed record BatchDownloadResponse(IReadOnlyList<BatchDownloadResult> Entries);
