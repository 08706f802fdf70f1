using DropSync.Embedded.Blocks;
using DropSync.Embedded.Keys;
using DropSync.Embedded.Metadata;
using DropSync.Embedded.Tests.Metadata;

namespace DropSync.Embedded.Tests;

/// <summary>
/// The server's tiered block store over a fresh metadata database and a fresh blocks folder, for one test; disposing
/// closes both and deletes the folders.
/// </summary>
public sealed class TempTieredBlockStore : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "dropsync-tests", Guid.NewGuid().ToString("N"));
    private readonly TempMetadataDatabase _database = new();

    public TempTieredBlockStore()
    {
        Metadata = _database.Open();
        Store = new TieredBlockStore(new EncryptedDiskBlockStore(Path.Combine(_root, "blocks"), MasterKey.Generate()), Metadata, TimeProvider.System);
    }

    public SqliteMetadataStore Metadata { get; }

    public TieredBlockStore Store { get; }

    public void Dispose()
    {
        Store.Dispose();
        _database.Dispose();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}
