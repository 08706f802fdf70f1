using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace DropSync.AwsHarness.Recording;

/// <summary>
/// The checks S3 makes on a PutObject that fauxqs does not, made by the S3 proxies so the tests prove what S3 proves:
/// <list type="bullet">
/// <item>Checksum: a PUT with <c>x-amz-checksum-sha256</c> (base64 of the body's SHA-256) whose body hashes otherwise is
/// refused with 400 BadDigest and nothing is stored ("Checking object integrity in Amazon S3",
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html; error codes:
/// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).</item>
/// <item>Conditional write: a PUT with <c>If-None-Match: *</c> of a key that already holds an object is refused with 412
/// PreconditionFailed and the object is left as it was ("How to prevent object overwrites with conditional writes",
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html). Checks and writes of such PUTs are
/// serialised here, so two at once cannot both create the key (S3 answers the loser 412, or 409 while both are in flight).</item>
/// </list>
/// A streamed (aws-chunked) body carries its checksum in a trailer; the proxies leave those to fauxqs.
/// </summary>
public sealed class S3PutChecks
{
    private readonly SemaphoreSlim _conditional = new(1, 1);

    /// <summary>Whether S3 would check this request: a plain-body PutObject with a checksum header or If-None-Match.</summary>
    public static bool Applies(HttpRequest request, IReadOnlyCollection<string> queryKeys) =>
        HttpMethods.IsPut(request.Method) &&
        !request.Headers.ContainsKey("x-amz-copy-source") &&
        !queryKeys.Contains("tagging") && !queryKeys.Contains("partNumber") && !queryKeys.Contains("uploadId") &&
        !request.Headers["x-amz-content-sha256"].ToString().StartsWith("STREAMING-", StringComparison.Ordinal) &&
        (request.Headers.ContainsKey("x-amz-checksum-sha256") || request.Headers.ContainsKey("If-None-Match"));

    /// <summary>
    /// Makes S3's checks, then (if they pass) <paramref name="write"/>s the object; answers the refusal itself.
    /// <paramref name="exists"/> asks fauxqs whether the key holds an object.
    /// </summary>
    public async Task PutAsync(HttpContext context, byte[] body, Func<Task<bool>> exists, Func<Task> write)
    {
        var request = context.Request;
        var declared = request.Headers["x-amz-checksum-sha256"].ToString();
        if (declared.Length > 0 && declared != Convert.ToBase64String(SHA256.HashData(body)))
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "BadDigest", "The SHA256 you specified did not match the calculated checksum.", null).ConfigureAwait(false);
            return;
        }

        var ifNoneMatch = request.Headers.IfNoneMatch.ToString();
        if (ifNoneMatch.Length == 0)
        {
            await write().ConfigureAwait(false);
            return;
        }

        if (ifNoneMatch != "*")
        {
            // S3 accepts only "*" in If-None-Match on a write.
            await ErrorAsync(context, StatusCodes.Status501NotImplemented, "NotImplemented", "A header you provided implies functionality that is not implemented", "If-None-Match").ConfigureAwait(false);
            return;
        }

        await _conditional.WaitAsync(context.RequestAborted).ConfigureAwait(false);
        try
        {
            if (await exists().ConfigureAwait(false))
            {
                await ErrorAsync(context, StatusCodes.Status412PreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", "If-None-Match").ConfigureAwait(false);
                return;
            }

            await write().ConfigureAwait(false);
        }
        finally
        {
            _conditional.Release();
        }
    }

    private static async Task ErrorAsync(HttpContext context, int status, string code, string message, string? condition)
    {
        var requestId = Guid.NewGuid().ToString();
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/xml";
        response.Headers["x-amz-request-id"] = requestId;
        var bytes = Encoding.UTF8.GetBytes(
            $"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message>" +
            (condition is null ? "" : $"<Condition>{condition}</Condition>") + $"<RequestId>{requestId}</RequestId></Error>");
        response.ContentLength = bytes.Length;
        await response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
    }
}
