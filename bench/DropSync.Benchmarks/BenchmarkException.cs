namespace DropSync.Benchmarks;

/// <summary>A failure the benchmark explains in one message and exits non-zero for (bad arguments, server error, hash mismatch).</summary>
internal sealed class BenchmarkException : Exception
{
    public BenchmarkException()
    {
    }

    public BenchmarkException(string message)
        : base(message)
    {
    }

    public BenchmarkException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
