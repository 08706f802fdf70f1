using DropSync.Core.Feed;
using DropSync.Core.Files;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Embedded.Tests.Metadata;

/// <summary>
/// Changes dispatched together share the fan-out's reads (<see cref="FanoutLookups"/>), yet each one reaches exactly
/// who it would have reached alone: a share made between two changes of the run is seen by the change after it.
/// </summary>
public sealed class FanoutLookupsTests : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly TempMetadataDatabase _database = new();

    [Fact]
    public async Task A_change_after_a_share_was_made_in_the_same_run_reaches_the_new_member()
    {
        await using var store = _database.Open();
        // A root namespace: the fan-out names its owner from it.
        var ns = Namespaces.RootOf("u_owner" + Guid.NewGuid().ToString("N"));
        var pushes = new RecordingPush();
        var fanout = new ChangeFanout(store, store, store, pushes, new JournalRetention(store, new DropSyncOptions(), TimeProvider.System));
        var lookups = new FanoutLookups();
        var before = Change(File(ns, "/Project/a.txt"), ChangeKind.Added);
        var shared = Change(Folder(ns, "/Project"), ChangeKind.Shared);
        var after = Change(File(ns, "/Project/b.txt"), ChangeKind.Added);

        await fanout.DispatchAsync(before, lookups, None);
        var share = new Share { ShareId = "sh_f", OwnerUserId = Namespaces.OwnerOf(ns), NamespaceId = ns, FolderPath = "/Project", CreatedAt = At(1) };
        var member = new ShareMember { ShareId = "sh_f", UserId = "u_member", Email = "m@example.com", Role = ShareRole.Editor, MountPath = "/Project", AddedAt = At(2) };
        await store.MustApplyAsync(new MetadataWrite.PutShare(share, true), new MetadataWrite.PutMember(member));
        await fanout.DispatchAsync(shared, lookups, None);
        await fanout.DispatchAsync(after, lookups, None);

        Assert.DoesNotContain(pushes.Sent, p => p.UserId == "u_member" && Equals(p.Message.Body["path"], "/Project/a.txt"));
        Assert.Contains(pushes.Sent, p => p.UserId == "u_member" && Equals(p.Message.Body["path"], "/Project/b.txt"));
        Assert.Contains(pushes.Sent, p => p.UserId == Namespaces.OwnerOf(ns) && Equals(p.Message.Body["path"], "/Project/b.txt"));
    }

    public void Dispose() => _database.Dispose();

    private sealed class RecordingPush : IPushGateway
    {
        public List<(string UserId, PushMessage Message)> Sent { get; } = [];

        public Task PushAsync(string userId, PushMessage message, CancellationToken cancellationToken)
        {
            Sent.Add((userId, message));
            return Task.CompletedTask;
        }
    }
}
