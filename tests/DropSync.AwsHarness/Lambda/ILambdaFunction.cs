namespace DropSync.AwsHarness.Lambda;

/// <summary>
/// What the Lambda service tells the caller of a synchronous invocation (an event source mapping, API Gateway): the
/// function's response payload, or a function error with its type ("Unhandled", "TimedOut", …) — as the Invoke API's
/// <c>X-Amz-Function-Error</c> header does (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html).
/// </summary>
public sealed record LambdaInvocationResult(string? Payload, string? FunctionError)
{
    public bool Failed => FunctionError is not null;

    public static LambdaInvocationResult Success(string payload) => new(payload, null);

    public static LambdaInvocationResult Error(string type) => new(null, type);
}

/// <summary>One deployed function, invoked synchronously with an event (its raw JSON).</summary>
public interface ILambdaFunction
{
    /// <summary>The function's role in DropSync (<c>http</c>, <c>websocket</c>, <c>fanout</c>, <c>maintenance</c>).</summary>
    string Name { get; }

    Task<LambdaInvocationResult> InvokeAsync(string eventJson, CancellationToken cancellationToken);
}
