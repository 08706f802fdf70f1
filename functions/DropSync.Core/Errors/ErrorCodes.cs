using System.Collections.Frozen;
using System.Reflection;

namespace DropSync.Core.Errors;

/// <summary>
/// Every error code the API answers (<c>{"error": "&lt;code&gt;", "message": ...}</c>), each with the one
/// <see cref="ErrorKind"/> (so the one HTTP status) it always has. The server raises errors with these constants,
/// the client library (client/DropSync.Client) matches them, the OpenAPI document lists them as the Error schema's
/// enum, and the web app's assets/js/error-codes.js is this list (a test keeps the two equal).
/// </summary>
public static class ErrorCodes
{
    // 400
    [ErrorCode(ErrorKind.BadRequest)]
    public const string InvalidAppPasswordName = "invalid_app_password_name";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string MalformedXml = "malformed_xml";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string BadRequest = "bad_request";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string BlockHashMismatch = "block_hash_mismatch";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string BlockSizeMismatch = "block_size_mismatch";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string CannotShareWithSelf = "cannot_share_with_self";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string CantMoveIntoItself = "cant_move_into_itself";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string ContentHashMismatch = "content_hash_mismatch";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string InvalidCursor = "invalid_cursor";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string InvalidDeviceName = "invalid_device_name";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string InvalidEmail = "invalid_email";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string InvalidEvent = "invalid_event";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string InvalidExpiry = "invalid_expiry";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string InvalidLimit = "invalid_limit";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string InvalidManifest = "invalid_manifest";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string InvalidMode = "invalid_mode";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string InvalidMountPath = "invalid_mount_path";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string InvalidPassword = "invalid_password";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string InvalidRequest = "invalid_request";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string InvalidRev = "invalid_rev";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string InvalidRole = "invalid_role";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string InvalidSize = "invalid_size";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string InvalidStart = "invalid_start";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string InvalidUploadType = "invalid_upload_type";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string MalformedBlockHash = "malformed_block_hash";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string MalformedContentHash = "malformed_content_hash";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string MalformedPath = "malformed_path";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string MissingContent = "missing_content";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string MissingManifest = "missing_manifest";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string MissingRev = "missing_rev";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string MissingSize = "missing_size";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string MissingUploadId = "missing_upload_id";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string NotASharedFolder = "not_a_shared_folder";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string SizeMismatch = "size_mismatch";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string TooManyBlocks = "too_many_blocks";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string TooManyFiles = "too_many_files";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string TooManyIds = "too_many_ids";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string UnknownEvent = "unknown_event";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string WeakPassword = "weak_password";

    [ErrorCode(ErrorKind.BadRequest)]
    public const string WebsocketRequired = "websocket_required";

    // 401
    [ErrorCode(ErrorKind.Unauthorized)]
    public const string InvalidCredentials = "invalid_credentials";

    [ErrorCode(ErrorKind.Unauthorized)]
    public const string LinkPasswordRequired = "link_password_required";

    [ErrorCode(ErrorKind.Unauthorized)]
    public const string TokenExpired = "token_expired";

    [ErrorCode(ErrorKind.Unauthorized)]
    public const string Unauthorized = "unauthorized";

    [ErrorCode(ErrorKind.Unauthorized)]
    public const string WrongLinkPassword = "wrong_link_password";

    // 403
    [ErrorCode(ErrorKind.Forbidden)]
    public const string Forbidden = "forbidden";

    [ErrorCode(ErrorKind.Forbidden)]
    public const string InvalidSignature = "invalid_signature";

    [ErrorCode(ErrorKind.Forbidden)]
    public const string NoWritePermission = "no_write_permission";

    [ErrorCode(ErrorKind.Forbidden)]
    public const string NotOwner = "not_owner";

    [ErrorCode(ErrorKind.Forbidden)]
    public const string UrlExpired = "url_expired";

    // 404
    [ErrorCode(ErrorKind.NotFound)]
    public const string AppPasswordNotFound = "app_password_not_found";

    [ErrorCode(ErrorKind.NotFound)]
    public const string BlockNotFound = "block_not_found";

    [ErrorCode(ErrorKind.NotFound)]
    public const string DeviceNotFound = "device_not_found";

    [ErrorCode(ErrorKind.NotFound)]
    public const string InvitationNotFound = "invitation_not_found";

    [ErrorCode(ErrorKind.NotFound)]
    public const string LinkNotFound = "link_not_found";

    [ErrorCode(ErrorKind.NotFound)]
    public const string MemberNotFound = "member_not_found";

    [ErrorCode(ErrorKind.NotFound)]
    public const string NotFound = "not_found";

    [ErrorCode(ErrorKind.NotFound)]
    public const string NotShared = "not_shared";

    [ErrorCode(ErrorKind.NotFound)]
    public const string RevNotFound = "rev_not_found";

    [ErrorCode(ErrorKind.NotFound)]
    public const string UploadNotFound = "upload_not_found";

    // 405
    [ErrorCode(ErrorKind.MethodNotAllowed)]
    public const string MethodNotAllowed = "method_not_allowed";

    // 409
    [ErrorCode(ErrorKind.Conflict)]
    public const string TooManyAppPasswords = "too_many_app_passwords";

    [ErrorCode(ErrorKind.Conflict)]
    public const string BlocksMissing = "blocks_missing";

    /// <summary>A part of an upload's block list that does not start where the list ends (nor repeats blocks already there).</summary>
    [ErrorCode(ErrorKind.Conflict)]
    public const string BlockIndexMismatch = "block_index_mismatch";

    /// <summary>A finish before the upload's blocks add up to its size (more were announced with more_blocks).</summary>
    [ErrorCode(ErrorKind.Conflict)]
    public const string BlockListIncomplete = "block_list_incomplete";

    [ErrorCode(ErrorKind.Conflict)]
    public const string Conflict = "conflict";

    [ErrorCode(ErrorKind.Conflict)]
    public const string EmailTaken = "email_taken";

    [ErrorCode(ErrorKind.Conflict)]
    public const string MountNameTaken = "mount_name_taken";

    [ErrorCode(ErrorKind.Conflict)]
    public const string MoveInterrupted = "move_interrupted";

    [ErrorCode(ErrorKind.Conflict)]
    public const string NameClash = "name_clash";

    [ErrorCode(ErrorKind.Conflict)]
    public const string NestedShare = "nested_share";

    [ErrorCode(ErrorKind.Conflict)]
    public const string NotFolder = "not_folder";

    [ErrorCode(ErrorKind.Conflict)]
    public const string PathChanged = "path_changed";

    [ErrorCode(ErrorKind.Conflict)]
    public const string PathConflict = "path_conflict";

    [ErrorCode(ErrorKind.Conflict)]
    public const string PathExists = "path_exists";

    [ErrorCode(ErrorKind.Conflict)]
    public const string PathIsFolder = "path_is_folder";

    [ErrorCode(ErrorKind.Conflict)]
    public const string Reset = "reset";

    [ErrorCode(ErrorKind.Conflict)]
    public const string ToExists = "to_exists";

    [ErrorCode(ErrorKind.Conflict)]
    public const string TooLargeForDirectDownload = "too_large_for_direct_download";

    [ErrorCode(ErrorKind.Conflict)]
    public const string TooManyLinks = "too_many_links";

    [ErrorCode(ErrorKind.Conflict)]
    public const string TooManyUploadSessions = "too_many_upload_sessions";

    [ErrorCode(ErrorKind.Conflict)]
    public const string InsufficientSpace = "insufficient_space";

    // 410
    [ErrorCode(ErrorKind.Gone)]
    public const string LinkExpired = "link_expired";

    [ErrorCode(ErrorKind.Gone)]
    public const string LinkRevoked = "link_revoked";

    [ErrorCode(ErrorKind.Gone)]
    public const string UploadExpired = "upload_expired";

    [ErrorCode(ErrorKind.Gone)]
    public const string UploadAborted = "upload_aborted";

    // 413
    [ErrorCode(ErrorKind.PayloadTooLarge)]
    public const string XmlTooLarge = "xml_too_large";

    [ErrorCode(ErrorKind.PayloadTooLarge)]
    public const string BatchTooLarge = "batch_too_large";

    /// <summary>A file of /files/download_batch past the answer's byte budget: ask for it in another batch.</summary>
    [ErrorCode(ErrorKind.PayloadTooLarge)]
    public const string DownloadBatchFull = "download_batch_full";

    [ErrorCode(ErrorKind.PayloadTooLarge)]
    public const string BlockTooLarge = "block_too_large";

    [ErrorCode(ErrorKind.PayloadTooLarge)]
    public const string FileTooLarge = "file_too_large";

    [ErrorCode(ErrorKind.PayloadTooLarge)]
    public const string PayloadTooLarge = "payload_too_large";

    [ErrorCode(ErrorKind.PayloadTooLarge)]
    public const string TooLargeForDirectUpload = "too_large_for_direct_upload";

    // 415
    [ErrorCode(ErrorKind.UnsupportedMediaType)]
    public const string UnsupportedMediaType = "unsupported_media_type";

    // 416
    [ErrorCode(ErrorKind.RangeNotSatisfiable)]
    public const string RangeNotSatisfiable = "range_not_satisfiable";

    // 500
    [ErrorCode(ErrorKind.Internal)]
    public const string EventFailed = "event_failed";

    [ErrorCode(ErrorKind.Internal)]
    public const string InternalError = "internal_error";

    // 503
    [ErrorCode(ErrorKind.Unavailable)]
    public const string BlockCorrupt = "block_corrupt";

    [ErrorCode(ErrorKind.Unavailable)]
    public const string MasterKeyMismatch = "master_key_mismatch";

    [ErrorCode(ErrorKind.Unavailable)]
    public const string MetadataBusy = "metadata_busy";

    [ErrorCode(ErrorKind.Unavailable)]
    public const string ServerBusy = "server_busy";

    [ErrorCode(ErrorKind.Unavailable)]
    public const string TooManyWrites = "too_many_writes";

    // 429
    [ErrorCode(ErrorKind.TooManyRequests)]
    public const string TooManyRequests = "too_many_requests";

    // 501
    [ErrorCode(ErrorKind.NotImplemented)]
    public const string WebdavUnavailable = "webdav_unavailable";

    // 507
    [ErrorCode(ErrorKind.InsufficientStorage)]
    public const string InsufficientStorage = "insufficient_storage";

    /// <summary>Every code with its kind, read once from the constants above.</summary>
    public static FrozenDictionary<string, ErrorKind> All { get; } = typeof(ErrorCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .ToFrozenDictionary(f => (string)f.GetRawConstantValue()!, f => f.GetCustomAttribute<ErrorCodeAttribute>()!.Kind, StringComparer.Ordinal);

    /// <summary>The kind a code always has.</summary>
    public static ErrorKind KindOf(string code) =>
        All.TryGetValue(code, out var kind) ? kind : throw new ArgumentException($"\"{code}\" is not an error code of ErrorCodes.", nameof(code));
}

/// <summary>The kind (HTTP status) of an <see cref="ErrorCodes"/> constant.</summary>
[AttributeUsage(AttributeTargets.Field)]
public sealed class ErrorCodeAttribute(ErrorKind kind) : Attribute
{
    public ErrorKind Kind { get; } = kind;
}
