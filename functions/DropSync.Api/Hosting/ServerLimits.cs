using DropSync.Api.Apis;
using DropSync.Aws.Hosting;
using DropSync.Core.Content;

namespace DropSync.Api.Hosting;

/// <summary>
/// What this server takes and gives in one request, by mode (GET /config tells clients). Embedded: what Kestrel is
/// allowed to take for a media upload (a whole file), downloads unlimited. AWS: <see cref="AwsPayloadLimits"/> each way,
/// since every body passes through API Gateway and a Lambda invocation.
/// </summary>
/// <param name="MaxDownloadBatchBytes">The largest /files/download_batch answer (its JSON, as DownloadBatches estimates it).</param>
internal sealed record ServerLimits(string Mode, long MaxRequestBytes, long? MaxResponseBytes, long MaxBatchBytes, long MaxDownloadBatchBytes)
{
    /// <summary>Embedded: 16 MiB of answer, a thousand files of about 10 KiB; the server holds one answer's contents while it writes them.</summary>
    public const long EmbeddedMaxDownloadBatchBytes = 16L * 1024 * 1024;

    public static ServerLimits Embedded { get; } =
        new(AwsEnvironment.EmbeddedMode, Limits.MaxFileSize, null, BatchUploadApi.EmbeddedMaxBatchBytes, EmbeddedMaxDownloadBatchBytes);

    // A batch answer is a Lambda response like any other: within the same payload limit as a direct download.
    public static ServerLimits Aws { get; } =
        new(AwsEnvironment.AwsMode, AwsPayloadLimits.MaxPayloadBytes, AwsPayloadLimits.MaxPayloadBytes, AwsPayloadLimits.MaxPayloadBytes, AwsPayloadLimits.MaxPayloadBytes);

    public bool IsAws => Mode == AwsEnvironment.AwsMode;
}
