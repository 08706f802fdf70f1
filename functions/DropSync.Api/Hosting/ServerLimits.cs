using DropSync.Api.Apis;
using DropSync.Aws.Hosting;
using DropSync.Core.Content;

namespace DropSync.Api.Hosting;

/// <summary>
/// What this server takes and gives in one request, by mode (GET /config tells clients). Embedded: what Kestrel is
/// allowed to take for a media upload (a whole file), downloads unlimited. AWS: <see cref="AwsPayloadLimits"/> each way,
/// since every body passes through API Gateway and a Lambda invocation.
/// </summary>
internal sealed record ServerLimits(string Mode, long MaxRequestBytes, long? MaxResponseBytes, long MaxBatchBytes)
{
    public static ServerLimits Embedded { get; } =
        new(AwsEnvironment.EmbeddedMode, Limits.MaxFileSize, null, BatchUploadApi.EmbeddedMaxBatchBytes);

    public static ServerLimits Aws { get; } =
        new(AwsEnvironment.AwsMode, AwsPayloadLimits.MaxPayloadBytes, AwsPayloadLimits.MaxPayloadBytes, AwsPayloadLimits.MaxPayloadBytes);

    public bool IsAws => Mode == AwsEnvironment.AwsMode;
}
