namespace DropSync.AwsHarness.Recording;

/// <summary>
/// One AWS API call a function made (or a presigned URL it signed was used for), as IAM authorizes it: the function
/// whose role signed it, the IAM action (<c>dynamodb:Query</c>, <c>s3:PutObject</c>, <c>execute-api:ManageConnections</c>)
/// and the resource ARN. Calls a service makes on the caller's behalf (KMS for SSE-KMS objects and encrypted queues)
/// are recorded as the caller's too, since IAM checks them against the caller's role.
/// </summary>
public sealed record AwsCall(string Function, string Action, string Resource);

/// <summary>Where calls are collected (thread-safe).</summary>
public sealed class AwsCallLog
{
    private readonly List<AwsCall> _calls = [];

    public void Record(AwsCall call)
    {
        lock (_calls)
        {
            _calls.Add(call);
        }
    }

    public IReadOnlyList<AwsCall> Snapshot()
    {
        lock (_calls)
        {
            return [.. _calls];
        }
    }
}
