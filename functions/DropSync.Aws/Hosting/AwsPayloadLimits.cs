namespace DropSync.Aws.Hosting;

/// <summary>The body sizes AWS mode can carry through API Gateway and Lambda, in one place.</summary>
public static class AwsPayloadLimits
{
    /// <summary>
    /// 4 MiB: the largest request or response body, and the largest /files/upload_batch request, AWS mode takes or gives
    /// directly. Lambda's synchronous invocation payload is 6 MB each way
    /// (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html) and API Gateway's HTTP API passes binary
    /// bodies base64-encoded in payload format 2.0 (×4/3): 4 MiB becomes 5.59 MB, which with the headers still fits, and
    /// one whole block (Limits.MaxBlockSize) always does.
    /// </summary>
    public const long MaxPayloadBytes = 4_194_304;
}
