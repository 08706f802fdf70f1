/// <summary>The side-by-side benchmark's files: the small-file trees, copies of them, the one-byte insert, and cleaning up.</summary>
internal static class BenchFiles
{
    public static async Task WriteSmallFilesAsync(string root, int count, int seed = 5)
    {
        var rng = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var bytes = new byte[2048 + rng.Next(4096)];
            rng.NextBytes(bytes);
            var dir = Directory.CreateDirectory(Path.Combine(root, $"dir{i % 100:000}")).FullName;
            await File.WriteAllBytesAsync(Path.Combine(dir, $"file{i:00000}.dat"), bytes);
        }
    }

    public static void CopyTree(string from, string to)
    {
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        }

        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
        }
    }

    public static void InsertByteInMiddle(string path)
    {
        var size = new FileInfo(path).Length;
        var temp = path + ".new";
        using (var source = File.OpenRead(path))
        using (var target = File.Create(temp))
        {
            var buffer = new byte[8 * 1024 * 1024];
            long copied = 0;
            int n;
            while ((n = source.Read(buffer, 0, (int)Math.Min(buffer.Length, Math.Max(0, (size / 2) - copied)))) > 0)
            {
                target.Write(buffer, 0, n);
                copied += n;
            }

            target.WriteByte(0x42);
            source.CopyTo(target);
        }

        File.Move(temp, path, overwrite: true);
    }

    public static void TryDelete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
