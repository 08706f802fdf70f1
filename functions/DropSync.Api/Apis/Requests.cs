namespace DropSync.Api.Apis;

// JSON request bodies (snake_case on the wire). Every field is nullable so that a missing one reaches the core's
// validation and gets a specific error instead of a generic binding failure.
internal sealed record RegisterRequest(string? Email, string? Password);

internal sealed record LoginRequest(string? Email, string? Password, string? DeviceName);

internal sealed record RevokeDeviceRequest(string? DeviceId);

internal sealed record ChangePasswordRequest(string? OldPassword, string? NewPassword);

internal sealed record PathRequest(string? Path, string? Rev);

/// <summary>/files/get_blocks: which file, and which page of its blocks (default: from block 0, a full page).</summary>
internal sealed record GetBlocksRequest(string? Path, string? Rev, int? Start, int? Limit);

internal sealed record MetadataRequest(string? Path, bool IncludeDeleted);

internal sealed record ListFolderRequest(string? Path, bool Recursive, int? Limit = null);

internal sealed record ListDeletedRequest(string? Path, int? Limit);

internal sealed record ListRevisionsRequest(string? Path, int? Limit);

internal sealed record RelocationRequest(string? FromPath, string? ToPath);

internal sealed record BlockRequest(string? Hash, int Size);

/// <summary>uploadType=resumable: the file's block list, or with more_blocks its first part (the rest by /files/upload/blocks).
/// <c>content_hash_kind</c> "b1" asks for the block-list content hash (<see cref="Core.Content.ContentHashKind.BlockList"/>);
/// absent or "pieces": Dropbox's.</summary>
internal sealed record ResumableRequest(
    string? Path, long? Size, IReadOnlyList<BlockRequest>? Blocks, string? Mode, string? Rev, string? ContentHash, bool? MoreBlocks = null, string? ContentHashKind = null);

/// <summary>/files/upload/blocks: the next part of an upload's block list, starting at block <c>index</c>.</summary>
internal sealed record AddBlocksRequest(string? UploadId, int? Index, IReadOnlyList<BlockRequest>? Blocks);

internal sealed record FinishRequest(string? UploadId);

internal sealed record ContinueRequest(string? Cursor, int? Limit);

internal sealed record MemberRequest(string? Path, string? Email, string? Role);

internal sealed record LinkRequest(string? Path, DateTimeOffset? Expires, string? Password);

internal sealed record RevokeLinkRequest(string? LinkId);

/// <summary>/sharing/list_links: without a path, the caller's own links; with one, the links at or below it (see LinkService.ListAtAsync).</summary>
internal sealed record ListLinksRequest(string? Path, int? Limit = null, string? Cursor = null);

/// <summary>/sharing/list_members: the shared folder, and the paging fields (see AccountListPages).</summary>
internal sealed record ListMembersRequest(string? Path, int? Limit = null, string? Cursor = null);

internal sealed record InvitationRequest(string? InvitationId);

internal sealed record NotificationsRequest(int? Limit, string? Cursor);

internal sealed record MarkReadRequest(IReadOnlyList<string>? Ids);
