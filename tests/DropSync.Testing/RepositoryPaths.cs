namespace DropSync.Testing;

/// <summary>Where the repository is, seen from a test or benchmark binary (or the directory it was started in).</summary>
public static class RepositoryPaths
{
    public static string Root()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "DropSync.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("DropSync.sln not found above the binaries or the current directory.");
    }
}
