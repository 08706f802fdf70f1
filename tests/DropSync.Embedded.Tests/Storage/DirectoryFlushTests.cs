using DropSync.Embedded.Storage;

namespace DropSync.Embedded.Tests.Storage;

public sealed class DirectoryFlushTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dropsync-flush-").FullName;

    [Fact]
    public void Flushing_an_existing_folder_succeeds()
    {
        File.WriteAllText(Path.Combine(_root, "a"), "a");

        DirectoryFlush.Flush(_root);

        Assert.True(File.Exists(Path.Combine(_root, "a")));
    }

    [Fact]
    public void Flushing_a_missing_folder_says_which_and_why()
    {
        var missing = Path.Combine(_root, "gone");
        if (OperatingSystem.IsWindows())
        {
            return; // Nothing to flush on Windows: no call is made.
        }

        var error = Assert.Throws<IOException>(() => DirectoryFlush.Flush(missing));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
        Assert.Contains("No such file or directory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Creating_durably_makes_every_missing_level_and_leaves_existing_ones_alone()
    {
        File.WriteAllText(Path.Combine(_root, "keep"), "k");
        var deep = Path.Combine(_root, "x", "y", "z");

        DirectoryFlush.CreateDurably(deep);
        DirectoryFlush.CreateDurably(deep);

        Assert.True(Directory.Exists(deep));
        Assert.Equal("k", File.ReadAllText(Path.Combine(_root, "keep")));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
