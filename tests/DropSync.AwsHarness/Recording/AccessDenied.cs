using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace DropSync.AwsHarness.Recording;

/// <summary>
/// How the recording proxies authorise a call, as IAM would for the function's execution role.
/// </summary>
/// <param name="Allows">Whether the function's own role allows the call (<see cref="AwsCall.Function"/>, action, resource).</param>
/// <param name="Principal">The caller IAM names in a denial: the function's assumed-role session ARN.</param>
public sealed record ProxyAuthorization(Func<AwsCall, bool> Allows, Func<string, string> Principal);

/// <summary>
/// The answer each service gives a request its caller's policies do not allow, in the service's documented error format.
/// </summary>
internal static class AccessDenied
{
    public static async Task WriteAsync(HttpContext context, AwsService service, string principal, AwsCall denied)
    {
        var response = context.Response;
        var requestId = Guid.NewGuid().ToString();
        var message = $"User: {principal} is not authorized to perform: {denied.Action} on resource: {denied.Resource} because no identity-based policy allows the {denied.Action} action";
        string body;
        switch (service)
        {
            case AwsService.S3:
                // S3's REST error: 403 with an XML <Error> document, code AccessDenied
                // (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html). A HEAD answer has no body.
                response.StatusCode = StatusCodes.Status403Forbidden;
                response.ContentType = "application/xml";
                response.Headers["x-amz-request-id"] = requestId;
                body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message>" +
                    $"<RequestId>{requestId}</RequestId><HostId>{Convert.ToBase64String(Guid.NewGuid().ToByteArray())}</HostId></Error>";
                break;
            case AwsService.DynamoDb:
                // DynamoDB: 400 with __type com.amazon.coral.service#AccessDeniedException
                // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html).
                response.StatusCode = StatusCodes.Status400BadRequest;
                response.ContentType = "application/x-amz-json-1.0";
                response.Headers["x-amzn-RequestId"] = requestId;
                body = new JsonObject { ["__type"] = "com.amazon.coral.service#AccessDeniedException", ["message"] = message }.ToJsonString();
                break;
            default:
                // SQS, AWS JSON protocol: 400, x-amzn-query-error "{code};Sender" and a JSON body with __type and message
                // (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-json-api-responses.html).
                response.StatusCode = StatusCodes.Status400BadRequest;
                response.ContentType = "application/x-amz-json-1.0";
                response.Headers["x-amzn-RequestId"] = requestId;
                response.Headers["x-amzn-query-error"] = "AccessDenied;Sender";
                body = new JsonObject { ["__type"] = "com.amazon.coral.service#AccessDeniedException", ["message"] = message }.ToJsonString();
                break;
        }

        var bytes = Encoding.UTF8.GetBytes(body);
        response.ContentLength = bytes.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
        }
    }
}
