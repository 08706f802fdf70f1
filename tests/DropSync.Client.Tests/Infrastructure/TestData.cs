namespace DropSync.Client.Tests.Infrastructure;

/// <summary>Reproducible test content.</summary>
public static class TestData
{
    /// <summary>Pseudo-random bytes, the same for the same seed.</summary>
    public static byte[] RandomBytes(int size, int seed)
    {
        var data = new byte[size];
        new Random(seed).NextBytes(data);
        return data;
    }
}
