using DropSync.Core.Errors;

namespace DropSync.Core.Accounts;

/// <summary>
/// Runs password hashing (a 600,000-iteration PBKDF2 takes a core for a fraction of a second) a few at a time, so a
/// flood of sign-ins leaves cores for every other request. At most <c>concurrency</c> hash at once and at most
/// <c>queueLength</c> wait; past that the caller is told to come back (503 server_busy with Retry-After) rather than
/// queue without bound.
/// </summary>
public sealed class PasswordHashingGate
{
    private readonly SemaphoreSlim _slots;
    private readonly int _capacity;
    private int _inside;

    public PasswordHashingGate(int concurrency, int queueLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(queueLength);
        _slots = new SemaphoreSlim(concurrency, concurrency);
        _capacity = concurrency + queueLength;
    }

    /// <summary>One less than the cores (at least one): the rest stay free for requests that do not hash.</summary>
    public static int DefaultConcurrency => Math.Max(1, Environment.ProcessorCount - 1);

    /// <summary>The seconds a refused caller is told to wait (one hash round, rounded up).</summary>
    public const int RetryAfterSeconds = 1;

    public async Task<T> RunAsync<T>(Func<T> work, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (Interlocked.Increment(ref _inside) > _capacity)
        {
            Interlocked.Decrement(ref _inside);
            throw new DropSyncException(
                ErrorKind.Unavailable,
                ErrorCodes.ServerBusy,
                "The server is busy signing others in; try again in a moment.",
                new Dictionary<string, object?> { [RetryAfter.DetailKey] = RetryAfterSeconds });
        }

        try
        {
            await _slots.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                return work();
            }
            finally
            {
                _slots.Release();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inside);
        }
    }
}
