using DropSync.Core.Files;

namespace DropSync.Core.Contract;

/// <summary><c>POST /files/list_folder</c>: the entries, and a cursor for /files/list_folder/continue.</summary>
public sealed record ListFolderResponse(IReadOnlyList<FileMetadata> Entries, string Cursor, bool HasMore);

/// <summary><c>POST /files/list_deleted</c>: deleted files, newest first.</summary>
public sealed record ListDeletedResponse(IReadOnlyList<FileMetadata> Entries);

/// <summary>One revision of a file.</summary>
public sealed record RevisionResponse(string Rev, string Path, long Size, string ContentHash, DateTimeOffset ServerModified, string DeviceId);

/// <summary><c>POST /files/list_revisions</c>: a file's revisions, newest first.</summary>
public sealed record ListRevisionsResponse(IReadOnlyList<RevisionResponse> Entries);

/// <summary><c>POST /files/list_folder/get_latest_cursor</c>.</summary>
public sealed record CursorResponse(string Cursor);

/// <summary><c>PUT /blocks/{hash}</c>: the block stored, and its size.</summary>
public sealed record StoredBlockResponse(string Hash, long Size);

/// <summary><c>PUT /blocks/run</c>: the run's blocks, each verified and stored, in the run's order.</summary>
public sealed record StoredBlockRunResponse(IReadOnlyList<StoredBlockResponse> Stored);

/// <summary>
/// One file of <c>POST /files/upload_batch</c>, in the manifest's order: status 200 with its metadata, or its error
/// status with the error body a single upload of that file would have had.
/// </summary>
public sealed record BatchUploadEntry(int Index, string? Path, int Status, FileMetadata? Metadata, ErrorResponse? Error);

/// <summary><c>POST /files/upload_batch</c>: one entry per manifest file.</summary>
public sealed record BatchUploadResponse(IReadOnlyList<BatchUploadEntry> Entries);

/// <summary>
/// One file of <c>POST /files/download_batch</c>, in the request's order: status 200 with its metadata and its whole
/// content (base64 in JSON; its <c>content_hash</c> is in the metadata for the client to verify), or its error status
/// with the error body a single <c>/files/download</c> of that file would have had.
/// </summary>
public sealed record BatchDownloadEntry(int Index, string? Path, int Status, FileMetadata? Metadata, byte[]? Content, ErrorResponse? Error);

/// <summary><c>POST /files/download_batch</c>: one entry per requested file.</summary>
public sealed record BatchDownloadResponse(IReadOnlyList<BatchDownloadEntry> Entries);
