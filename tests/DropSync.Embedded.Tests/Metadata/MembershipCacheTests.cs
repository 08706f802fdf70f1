using DropSync.Contracts;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Embedded.Tests.Metadata;

/// <summary>
/// The embedded store keeps each user's memberships in memory (every request resolves paths through them); a sharing
/// change must still show on the very next read after it is answered, from whichever store method applied it.
/// </summary>
public sealed class MembershipCacheTests : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly TempMetadataDatabase _database = new();

    [Fact]
    public async Task Adding_moving_and_removing_a_member_shows_on_the_next_read_after_the_cache_warmed()
    {
        await using var store = _database.Open();
        var ns = NewNamespace();
        var share = new Share { ShareId = "sh_a", OwnerUserId = "u_a", NamespaceId = ns, FolderPath = "/Project", CreatedAt = At(1) };
        var member = new ShareMember { ShareId = "sh_a", UserId = "u_b", Email = "b@example.com", Role = ShareRole.Editor, MountPath = "/Project", AddedAt = At(2) };

        Assert.Empty(await store.ListMembershipsAsync("u_b", None));
        Assert.Empty(await store.ListMembershipsAsync("u_b", None));

        await store.MustApplyAsync(new MetadataWrite.PutShare(share, true), new MetadataWrite.PutMember(member), Append(Folder(ns, "/Project")));
        Assert.Equal([new Membership(share, member)], await store.ListMembershipsAsync("u_b", None));
        Assert.Equal([new Membership(share, member)], await store.ListMembershipsAsync("u_b", None));

        // The owner moves the shared folder: the member's cached view of the share must follow.
        var moved = share with { FolderPath = "/Archive/Project" };
        await store.MustApplyAsync(new MetadataWrite.PutShare(moved, false));
        Assert.Equal([new Membership(moved, member)], await store.ListMembershipsAsync("u_b", None));

        // Applied with others in one transaction (upload_batch's path), and as a viewer now.
        var viewer = member with { Role = ShareRole.Viewer };
        var results = await store.ApplyEachAsync([[new MetadataWrite.PutMember(viewer)]], None);
        Assert.True(results[0].Applied);
        Assert.Equal([new Membership(moved, viewer)], await store.ListMembershipsAsync("u_b", None));

        await store.MustApplyAsync(new MetadataWrite.DeleteMember("sh_a", "u_b"));
        Assert.Empty(await store.ListMembershipsAsync("u_b", None));
    }

    [Fact]
    public async Task A_sharing_batch_that_fails_leaves_the_memberships_as_they_were()
    {
        await using var store = _database.Open();
        var ns = NewNamespace();
        var share = new Share { ShareId = "sh_a", OwnerUserId = "u_a", NamespaceId = ns, FolderPath = "/Project", CreatedAt = At(1) };
        var member = new ShareMember { ShareId = "sh_a", UserId = "u_b", Email = "b@example.com", Role = ShareRole.Editor, MountPath = "/Project", AddedAt = At(2) };
        await store.MustApplyAsync(new MetadataWrite.PutShare(share, true), new MetadataWrite.PutMember(member));
        Assert.Single(await store.ListMembershipsAsync("u_b", None));

        // A member of a share that does not exist fails the batch, and the delete before it is rolled back with it.
        var result = await store.ApplyAsync(
            [new MetadataWrite.DeleteMember("sh_a", "u_b"), new MetadataWrite.PutMember(member with { ShareId = "sh_missing", MountPath = "/Other" })], None);

        Assert.False(result.Applied);
        Assert.Equal([new Membership(share, member)], await store.ListMembershipsAsync("u_b", None));
    }

    public void Dispose() => _database.Dispose();
}
