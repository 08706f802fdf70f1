using System.Text.Json;
using System.Text.Json.Serialization;
using DropSync.Client.Api;

namespace DropSync.Cli;

// What `--json` prints, one record per answer, written by generated code (CliJsonContext): no reflection at start-up,
// and the CLI can be compiled ahead of time. Names are snake_case on the wire, as the server's.
internal sealed record ErrorOutput(string Error, string Message, int ExitCode);

internal sealed record SyncReportJson(
    int FilesUploaded, long BytesUploaded, int FilesDownloaded, long BytesDownloaded, long BytesReusedLocally,
    int DeletedLocal, int DeletedRemote, int Moved, int FoldersCreated, int FoldersDeleted,
    IReadOnlyList<string> Conflicts, IReadOnlyList<string> Errors, IReadOnlyDictionary<string, double> PhaseMs);

internal sealed record ListOutput(IReadOnlyList<RemoteEntry> Entries);

internal sealed record RevisionOutput(string Rev, string Path, long Size, string ContentHash, DateTimeOffset ServerModified, string? DeviceId, string? DeviceName);

internal sealed record RevisionsOutput(IEnumerable<RevisionOutput> Entries, string? History);

internal sealed record AppPasswordsOutput(IReadOnlyList<AppPasswordInfo> AppPasswords);

internal sealed record RevokedAppPassword(string Id, bool Revoked);

internal sealed record InvitationsOutput(IReadOnlyList<Invitation> Entries);

internal sealed record DeclinedInvitation(string InvitationId, bool Declined);

internal sealed record LeftOutput(string Path, bool Left);

internal sealed record UnsharedOutput(string Path, string Email, bool Removed);

internal sealed record LoginOutput(string SignedIn, string Server, string DeviceId, string DeviceName);

internal sealed record LogoutOutput(string SignedOut);

/// <summary>`dropsync status --json`; every member is written, null too (a missing to_fetch would read as "nothing to fetch").</summary>
internal sealed record StatusOutput(
    string? SignedIn, string? Server, string? Device, string? Folder, bool? Synced, int? SyncedFiles,
    PendingChanges? ToSend, PendingChanges? ToFetch, IReadOnlyList<string>? Plan, string? FetchStatus,
    IEnumerable<string> KnownFolders);

[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(ErrorOutput))]
[JsonSerializable(typeof(SyncReportJson))]
[JsonSerializable(typeof(ListOutput))]
[JsonSerializable(typeof(RevisionsOutput))]
[JsonSerializable(typeof(AppPasswordsOutput))]
[JsonSerializable(typeof(AppPasswordCreated))]
[JsonSerializable(typeof(RevokedAppPassword))]
[JsonSerializable(typeof(InvitationsOutput))]
[JsonSerializable(typeof(AcceptedInvitation))]
[JsonSerializable(typeof(DeclinedInvitation))]
[JsonSerializable(typeof(LeftOutput))]
[JsonSerializable(typeof(UnsharedOutput))]
[JsonSerializable(typeof(LoginOutput))]
[JsonSerializable(typeof(LogoutOutput))]
[JsonSerializable(typeof(RemoteEntry))]
[JsonSerializable(typeof(SharedLink))]
internal sealed partial class CliJsonContext : JsonSerializerContext;

/// <summary>The outputs that write their nulls (`status`).</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(StatusOutput))]
internal sealed partial class CliJsonWithNullsContext : JsonSerializerContext;
