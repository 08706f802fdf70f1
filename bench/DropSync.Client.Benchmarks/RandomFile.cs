/// <summary>The benchmark's large test file: seeded random bytes, so every run and every tool gets the same content.</summary>
internal static class RandomFile
{
    public static async Task WriteAsync(string path, long size, int seed = 42)
    {
        var buffer = new byte[8 * 1024 * 1024];
        var rng = new Random(seed);
        await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1);
        for (long written = 0; written < size; written += buffer.Length)
        {
            rng.NextBytes(buffer);
            await file.WriteAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, size - written)));
        }
    }
}
