using System.Text.Json;
using System.Text.Json.Serialization;
using DropSync.Client.Config;

namespace DropSync.Client.Api;

/// <summary>
/// Every type the client sends or reads as JSON, serialized by generated code instead of reflection: a fresh
/// `dropsync` process does not build serializers at run time, and the CLI can be compiled ahead of time (Native AOT,
/// where reflection-based JSON is off). The wire is snake_case, nulls left out (<see cref="DropSyncApi.Json"/>).
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(EmptyRequest))]
[JsonSerializable(typeof(LoginRequest))]
[JsonSerializable(typeof(CursorRequest))]
[JsonSerializable(typeof(ListFolderRequest))]
[JsonSerializable(typeof(ContinueRequest))]
[JsonSerializable(typeof(PathRequest))]
[JsonSerializable(typeof(PathRevRequest))]
[JsonSerializable(typeof(PathLimitRequest))]
[JsonSerializable(typeof(MemberRequest))]
[JsonSerializable(typeof(InvitationIdRequest))]
[JsonSerializable(typeof(CreateLinkRequest))]
[JsonSerializable(typeof(NameRequest))]
[JsonSerializable(typeof(IdRequest))]
[JsonSerializable(typeof(MoveRequest))]
[JsonSerializable(typeof(BeginUploadRequest))]
[JsonSerializable(typeof(AddUploadBlocksRequest))]
[JsonSerializable(typeof(UploadIdRequest))]
[JsonSerializable(typeof(GetBlocksRequest))]
[JsonSerializable(typeof(BatchManifest))]
[JsonSerializable(typeof(DownloadBatchRequest))]
[JsonSerializable(typeof(LoginResult))]
[JsonSerializable(typeof(ChangePage))]
[JsonSerializable(typeof(ServerConfig))]
[JsonSerializable(typeof(RemoteEntry))]
[JsonSerializable(typeof(UploadSession))]
[JsonSerializable(typeof(BlockList))]
[JsonSerializable(typeof(SharedLink))]
[JsonSerializable(typeof(AcceptedInvitation))]
[JsonSerializable(typeof(InvitationsResult))]
[JsonSerializable(typeof(AppPasswordCreated))]
[JsonSerializable(typeof(AppPasswordsResult))]
[JsonSerializable(typeof(DevicesResult))]
[JsonSerializable(typeof(RevisionsResult))]
[JsonSerializable(typeof(BatchResult))]
[JsonSerializable(typeof(BatchDownloadResponse))]
internal sealed partial class ClientJsonContext : JsonSerializerContext;

/// <summary>
/// The config folder's files (accounts, known folders), which have always been written with the serializer's
/// defaults (PascalCase names): the same format, generated.
/// </summary>
[JsonSerializable(typeof(Account))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class ConfigJsonContext : JsonSerializerContext;
