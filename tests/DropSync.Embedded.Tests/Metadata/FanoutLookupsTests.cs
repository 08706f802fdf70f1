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

    [Fact]
    public async Task A_person_with_no_device_connected_is_handed_no_event_and_one_with_a_device_still_is()
    {
        await using var store = _database.Open();
        var ns = Namespaces.RootOf("u_owner" + Guid.NewGuid().ToString("N"));
        var share = new Share { ShareId = "sh_l", OwnerUserId = Namespaces.OwnerOf(ns), NamespaceId = ns, FolderPath = "/Team", CreatedAt = At(1) };
        var member = new ShareMember { ShareId = "sh_l", UserId = "u_listening", Email = "l@example.com", Role = ShareRole.Editor, MountPath = "/Team", AddedAt = At(2) };
        await store.MustApplyAsync(new MetadataWrite.PutShare(share, true), new MetadataWrite.PutMember(member));
        var pushes = new RecordingPush { Listening = ["u_listening"] };
        var fanout = new ChangeFanout(store, store, store, pushes, new JournalRetention(store, new DropSyncOptions(), TimeProvider.System));

        await fanout.DispatchAsync(Change(File(ns, "/Team/c.txt"), ChangeKind.Added), new FanoutLookups(), None);

        var only = Assert.Single(pushes.Sent);
        Assert.Equal("u_listening", only.UserId);
        Assert.Equal("/Team/c.txt", only.Message.Body["path"]);
    }

    public void Dispose() => _database.Dispose();

    private sealed class RecordingPush : IPushGateway
    {
        public List<(string UserId, PushMessage Message)> Sent { get; } = [];

        /// <summary>Users with a device connected; null: everyone (the gateway cannot tell).</summary>
        public HashSet<string>? Listening { get; init; }

        public bool MayDeliverTo(string userId) => Listening is null || Listening.Contains(userId);

        public Task PushAsync(string userId, PushMessage message, CancellationToken cancellationToken)
        {
            Sent.Add((userId, message));
            return Task.CompletedTask;
        }
    }
}
