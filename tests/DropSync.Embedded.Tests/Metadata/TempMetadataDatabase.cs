using DropSync.Embedded.Metadata;

namespace DropSync.Embedded.Tests.Metadata;

/// <summary>A metadata database in a fresh temporary folder; disposing closes every store opened on it and deletes the folder.</summary>
public sealed class TempMetadataDatabase : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "dropsync-metadata-" + Guid.NewGuid().ToString("N"));
    private readonly List<SqliteMetadataStore> _opened = [];

    public string DatabasePath => Path.Combine(_folder, "metadata.db");

    /// <summary>Opens a store on the database (again, for restart tests); it is closed on dispose if the test did not.</summary>
    public SqliteMetadataStore Open()
    {
        var store = new SqliteMetadataStore(DatabasePath);
        _opened.Add(store);
        return store;
    }

    public void Dispose()
    {
        foreach (var store in _opened)
        {
            store.Dispose();
        }

        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}
