using DropSync.Contracts;
using DropSync.Core.Ports;

namespace DropSync.Embedded.Tests.Metadata;

public sealed class SqliteFileMetadataStoreTests : FileMetadataStoreContract, IDisposable
{
    private readonly TempMetadataDatabase _database = new();

    protected override Task<IFileMetadataStore> CreateStoreAsync() => Task.FromResult<IFileMetadataStore>(_database.Open());

    public void Dispose() => _database.Dispose();
}

public sealed class SqliteAccountStoreTests : AccountStoreContract, IDisposable
{
    private readonly TempMetadataDatabase _database = new();

    protected override Task<IAccountStore> CreateStoreAsync() => Task.FromResult<IAccountStore>(_database.Open());

    public void Dispose() => _database.Dispose();
}

public sealed class SqliteBlockIndexTests : BlockIndexContract, IDisposable
{
    private readonly TempMetadataDatabase _database = new();

    protected override Task<BlockIndexSubjects> CreateStoresAsync()
    {
        var store = _database.Open();
        return Task.FromResult(new BlockIndexSubjects(store, store, store));
    }

    public void Dispose() => _database.Dispose();
}

public sealed class SqliteUploadSessionStoreTests : UploadSessionStoreContract, IDisposable
{
    private readonly TempMetadataDatabase _database = new();

    protected override Task<IUploadSessionStore> CreateStoreAsync() => Task.FromResult<IUploadSessionStore>(_database.Open());

    public void Dispose() => _database.Dispose();
}

public sealed class SqliteJournalCompactionTests : JournalCompactionContract, IDisposable
{
    private readonly TempMetadataDatabase _database = new();

    protected override Task<IFileMetadataStore> CreateStoreAsync() => Task.FromResult<IFileMetadataStore>(_database.Open());

    public void Dispose() => _database.Dispose();
}

public sealed class SqliteSharingStoreTests : SharingStoreContract, IDisposable
{
    private readonly TempMetadataDatabase _database = new();

    protected override Task<SharingStoreSubjects> CreateStoresAsync()
    {
        var store = _database.Open();
        return Task.FromResult(new SharingStoreSubjects(store, store));
    }

    public void Dispose() => _database.Dispose();
}

public sealed class SqliteNotificationStoreTests : NotificationStoreContract, IDisposable
{
    private readonly TempMetadataDatabase _database = new();

    protected override Task<INotificationStore> CreateStoreAsync() => Task.FromResult<INotificationStore>(_database.Open());

    public void Dispose() => _database.Dispose();
}

public sealed class SqliteAppPasswordStoreTests : AppPasswordStoreContract, IDisposable
{
    private readonly TempMetadataDatabase _database = new();

    protected override Task<(IAccountStore Accounts, IAppPasswordStore AppPasswords)> CreateStoresAsync()
    {
        var store = _database.Open();
        return Task.FromResult<(IAccountStore, IAppPasswordStore)>((store, store));
    }

    public void Dispose() => _database.Dispose();
}

public sealed class SqliteRetentionStoreTests : RetentionStoreContract, IDisposable
{
    private readonly TempMetadataDatabase _database = new();

    protected override Task<RetentionStoreSubjects> CreateStoresAsync()
    {
        var store = _database.Open();
        return Task.FromResult(new RetentionStoreSubjects(store, store, store));
    }

    public void Dispose() => _database.Dispose();
}

public sealed class SqliteDeadPropertyStoreTests : DeadPropertyStoreContract, IDisposable
{
    private readonly TempMetadataDatabase _database = new();

    protected override Task<IDeadPropertyStore> CreateStoreAsync() => Task.FromResult<IDeadPropertyStore>(_database.Open());

    public void Dispose() => _database.Dispose();
}

public sealed class SqliteInvitationStoreTests : InvitationStoreContract, IDisposable
{
    private readonly TempMetadataDatabase _database = new();

    protected override Task<IInvitationStore> CreateStoreAsync() => Task.FromResult<IInvitationStore>(_database.Open());

    public void Dispose() => _database.Dispose();
}
