using DropSync.Core.Model;
using DropSync.Core.Ports;
using Xunit;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Contracts;

/// <summary>
/// The behaviour every <see cref="ISharingStore"/> adapter must have: shares and members written by all-or-nothing
/// batches, with one share per folder and one mount per path in a user's tree; links found by token hash and listed and
/// revoked by their owner only (the Links part).
/// </summary>
public abstract partial class SharingStoreContract
{
    private static readonly CancellationToken None = CancellationToken.None;

    /// <summary>New, empty stores, isolated from every other test's; the subclass cleans them up.</summary>
    protected abstract Task<SharingStoreSubjects> CreateStoresAsync();

    [Fact]
    public async Task A_share_round_trips_and_is_listed_in_its_namespace_only()
    {
        var (sharing, files) = await CreateStoresAsync();
        var ns = NewNamespace();
        var project = NewShare(ns, "/Project Ü", At(1));
        var photos = NewShare(ns, "/Photos/2024", At(2));
        var elsewhere = NewShare(NewNamespace(), "/Project Ü", At(3));

        await files.MustApplyAsync(new MetadataWrite.PutShare(project, true), new MetadataWrite.PutShare(photos, true));
        await files.MustApplyAsync(new MetadataWrite.PutShare(elsewhere, true));

        Assert.Equal(project, await sharing.GetShareAsync(project.ShareId, None));
        Assert.Equal("/project ü", (await sharing.GetShareAsync(project.ShareId, None))?.FolderKey);
        Assert.Null(await sharing.GetShareAsync("sh_unknown", None));
        Assert.Equal(
            new[] { project, photos }.OrderBy(s => s.ShareId, StringComparer.Ordinal),
            (await sharing.ListSharesInNamespaceAsync(ns, None)).OrderBy(s => s.ShareId, StringComparer.Ordinal));
        Assert.Equal([elsewhere], await sharing.ListSharesInNamespaceAsync(elsewhere.NamespaceId, None));
        Assert.Empty(await sharing.ListSharesInNamespaceAsync(NewNamespace(), None));
    }

    [Fact]
    public async Task A_share_that_must_be_new_fails_the_batch_if_its_id_exists_and_otherwise_is_updated()
    {
        var (sharing, files) = await CreateStoresAsync();
        var ns = NewNamespace();
        var share = NewShare(ns, "/Project", At(1));
        await files.MustApplyAsync(new MetadataWrite.PutShare(share, true));
        var moved = share with { FolderPath = "/Archive/Project" };

        var again = await files.ApplyAsync([Append(File(ns, "/x")), new MetadataWrite.PutShare(moved, true)], None);

        Assert.False(again.Applied);
        Assert.Equal(1, again.FailedWriteIndex);
        Assert.Equal(share, await sharing.GetShareAsync(share.ShareId, None));
        Assert.Equal(0, await files.GetLatestSequenceAsync(ns, None));

        await files.MustApplyAsync(new MetadataWrite.PutShare(moved, false));
        await files.MustApplyAsync(new MetadataWrite.PutShare(moved, false));

        Assert.Equal(moved, await sharing.GetShareAsync(share.ShareId, None));
        Assert.Equal([moved], await sharing.ListSharesInNamespaceAsync(ns, None));
    }

    [Fact]
    public async Task Another_share_of_the_same_folder_fails_the_batch_whatever_the_case()
    {
        var (sharing, files) = await CreateStoresAsync();
        var ns = NewNamespace();
        var first = NewShare(ns, "/Project", At(1));
        var other = NewShare(ns, "/Other", At(2));
        await files.MustApplyAsync(new MetadataWrite.PutShare(first, true), new MetadataWrite.PutShare(other, true));

        var duplicate = await files.ApplyAsync([new MetadataWrite.PutShare(NewShare(ns, "/PROJECT", At(3)), false)], None);
        var movedOnto = await files.ApplyAsync([new MetadataWrite.PutShare(other with { FolderPath = "/project" }, false)], None);
        var sameFolderElsewhere = await files.ApplyAsync([new MetadataWrite.PutShare(NewShare(NewNamespace(), "/Project", At(4)), true)], None);

        Assert.False(duplicate.Applied);
        Assert.Equal(0, duplicate.FailedWriteIndex);
        Assert.False(movedOnto.Applied);
        Assert.Equal(0, movedOnto.FailedWriteIndex);
        Assert.True(sameFolderElsewhere.Applied);
        Assert.Equal(other, await sharing.GetShareAsync(other.ShareId, None));
        Assert.Equal(2, (await sharing.ListSharesInNamespaceAsync(ns, None)).Count);
    }

    [Fact]
    public async Task Members_are_listed_in_the_order_they_were_added_and_updated_in_place()
    {
        var (sharing, files) = await CreateStoresAsync();
        var share = NewShare(NewNamespace(), "/Project", At(1));
        var owner = NewMember(share, "owner", "/Project", At(10), ShareRole.Editor);
        var carol = NewMember(share, "carol", "/Shared/Project", At(30));
        var bob = NewMember(share, "bob", "/Project", At(20));

        await files.MustApplyAsync(new MetadataWrite.PutShare(share, true), new MetadataWrite.PutMember(owner), new MetadataWrite.PutMember(carol));
        await files.MustApplyAsync(new MetadataWrite.PutMember(bob));

        Assert.Equal([owner, bob, carol], await sharing.ListMembersAsync(share.ShareId, None));

        var promoted = bob with { Role = ShareRole.Editor, MountPath = "/Work" };
        await files.MustApplyAsync(new MetadataWrite.PutMember(promoted));

        Assert.Equal([owner, promoted, carol], await sharing.ListMembersAsync(share.ShareId, None));
        Assert.Empty(await sharing.ListMembersAsync("sh_unknown", None));
    }

    [Fact]
    public async Task A_removed_member_is_never_returned_and_removing_an_absent_one_is_a_no_op()
    {
        var (sharing, files) = await CreateStoresAsync();
        var share = NewShare(NewNamespace(), "/Project", At(1));
        var bob = NewMember(share, "bob", "/Project", At(2));
        var carol = NewMember(share, "carol", "/Project", At(3));
        await files.MustApplyAsync(new MetadataWrite.PutShare(share, true), new MetadataWrite.PutMember(bob), new MetadataWrite.PutMember(carol));

        await files.MustApplyAsync(new MetadataWrite.DeleteMember(share.ShareId, bob.UserId));
        await files.MustApplyAsync(new MetadataWrite.DeleteMember(share.ShareId, bob.UserId), new MetadataWrite.DeleteMember("sh_unknown", carol.UserId));

        Assert.Equal([carol], await sharing.ListMembersAsync(share.ShareId, None));
        Assert.Empty(await sharing.ListMembershipsAsync(bob.UserId, None));
        Assert.Single(await sharing.ListMembershipsAsync(carol.UserId, None));
    }

    [Fact]
    public async Task Memberships_give_each_share_with_the_users_membership_ordered_by_mount()
    {
        var (sharing, files) = await CreateStoresAsync();
        var ns = NewNamespace();
        var design = NewShare(ns, "/Design", At(1));
        var budget = NewShare(NewNamespace(), "/Budget", At(2));
        var notMine = NewShare(ns, "/Private", At(3));
        var inDesign = NewMember(design, "bob", "/b-Design", At(4));
        var inBudget = NewMember(budget, "bob", "/A-Budget", At(5), ShareRole.Editor);
        var aliceInDesign = NewMember(design, "alice", "/Design", At(6));
        await files.MustApplyAsync(
            new MetadataWrite.PutShare(design, true), new MetadataWrite.PutShare(budget, true), new MetadataWrite.PutShare(notMine, true),
            new MetadataWrite.PutMember(inDesign), new MetadataWrite.PutMember(inBudget), new MetadataWrite.PutMember(aliceInDesign));

        Assert.Equal(
            [new Membership(budget, inBudget), new Membership(design, inDesign)],
            await sharing.ListMembershipsAsync("u_bob", None));
        Assert.Equal([new Membership(design, aliceInDesign)], await sharing.ListMembershipsAsync("u_alice", None));
        Assert.Empty(await sharing.ListMembershipsAsync("u_nobody", None));
    }

    [Fact]
    public async Task A_mount_path_the_user_already_uses_for_another_share_fails_the_batch()
    {
        var (sharing, files) = await CreateStoresAsync();
        var first = NewShare(NewNamespace(), "/Project", At(1));
        var second = NewShare(NewNamespace(), "/Project", At(2));
        var mounted = NewMember(first, "bob", "/Project", At(3));
        await files.MustApplyAsync(new MetadataWrite.PutShare(first, true), new MetadataWrite.PutShare(second, true), new MetadataWrite.PutMember(mounted));

        var clash = await files.ApplyAsync(
            [new MetadataWrite.PutMember(NewMember(second, "carol", "/Project", At(4))), new MetadataWrite.PutMember(NewMember(second, "bob", "/PROJECT", At(4)))],
            None);

        Assert.False(clash.Applied);
        Assert.Equal(1, clash.FailedWriteIndex);
        Assert.Empty(await sharing.ListMembersAsync(second.ShareId, None));

        // Re-putting the same membership at its own mount, another user at that path, and bob elsewhere are all fine.
        await files.MustApplyAsync(
            new MetadataWrite.PutMember(mounted with { Role = ShareRole.Editor }),
            new MetadataWrite.PutMember(NewMember(second, "carol", "/Project", At(4))),
            new MetadataWrite.PutMember(NewMember(second, "bob", "/Project (2)", At(5))));

        Assert.Equal(["/Project", "/Project (2)"], (await sharing.ListMembershipsAsync("u_bob", None)).Select(m => m.Member.MountPath));
    }

    [Fact]
    public async Task A_mount_freed_earlier_in_the_batch_can_be_taken_later_in_it()
    {
        var (sharing, files) = await CreateStoresAsync();
        var first = NewShare(NewNamespace(), "/Project", At(1));
        var second = NewShare(NewNamespace(), "/Project", At(2));
        var old = NewMember(first, "bob", "/Project", At(3));
        await files.MustApplyAsync(new MetadataWrite.PutShare(first, true), new MetadataWrite.PutShare(second, true), new MetadataWrite.PutMember(old));
        var replacement = NewMember(second, "bob", "/project", At(4));

        await files.MustApplyAsync(new MetadataWrite.DeleteMember(first.ShareId, "u_bob"), new MetadataWrite.PutMember(replacement));

        Assert.Equal([new Membership(second, replacement)], await sharing.ListMembershipsAsync("u_bob", None));
    }

    [Fact]
    public async Task A_member_of_an_unknown_share_fails_the_batch()
    {
        var (sharing, files) = await CreateStoresAsync();
        var ghost = NewShare(NewNamespace(), "/Ghost", At(1));

        var result = await files.ApplyAsync([new MetadataWrite.PutMember(NewMember(ghost, "bob", "/Ghost", At(2)))], None);

        Assert.False(result.Applied);
        Assert.Equal(0, result.FailedWriteIndex);
        Assert.Empty(await sharing.ListMembershipsAsync("u_bob", None));
    }

    [Fact]
    public async Task Deleting_a_share_removes_it_and_all_its_members_and_deleting_an_absent_one_is_a_no_op()
    {
        var (sharing, files) = await CreateStoresAsync();
        var ns = NewNamespace();
        var share = NewShare(ns, "/Project", At(1));
        var kept = NewShare(ns, "/Kept", At(2));
        var bob = NewMember(share, "bob", "/Project", At(3));
        var keptBob = NewMember(kept, "bob", "/Kept", At(4));
        await files.MustApplyAsync(
            new MetadataWrite.PutShare(share, true), new MetadataWrite.PutShare(kept, true),
            new MetadataWrite.PutMember(bob), new MetadataWrite.PutMember(NewMember(share, "carol", "/P", At(5))), new MetadataWrite.PutMember(keptBob));

        await files.MustApplyAsync(new MetadataWrite.DeleteShare(share.ShareId), new MetadataWrite.DeleteShare("sh_unknown"));

        Assert.Null(await sharing.GetShareAsync(share.ShareId, None));
        Assert.Empty(await sharing.ListMembersAsync(share.ShareId, None));
        Assert.Empty(await sharing.ListMembershipsAsync("u_carol", None));
        Assert.Equal([new Membership(kept, keptBob)], await sharing.ListMembershipsAsync("u_bob", None));
        Assert.Equal([kept], await sharing.ListSharesInNamespaceAsync(ns, None));

        // The folder and the mount are free again.
        var again = NewShare(ns, "/Project", At(6));
        await files.MustApplyAsync(new MetadataWrite.PutShare(again, true), new MetadataWrite.PutMember(NewMember(again, "bob", "/Project", At(7))));
        Assert.Equal(2, (await sharing.ListMembershipsAsync("u_bob", None)).Count);
    }

    [Fact]
    public async Task A_batch_whose_last_write_fails_leaves_no_share_no_member_and_no_journal_entry()
    {
        var (sharing, files) = await CreateStoresAsync();
        var ns = NewNamespace();
        var existing = NewShare(NewNamespace(), "/Taken", At(1));
        await files.MustApplyAsync(new MetadataWrite.PutShare(existing, true), new MetadataWrite.PutMember(NewMember(existing, "bob", "/Project", At(2))));
        var share = NewShare(ns, "/Project", At(3));
        var folder = Folder(ns, "/Project");
        MetadataWrite[] writes =
        [
            new MetadataWrite.PutShare(share, true),
            new MetadataWrite.PutMember(NewMember(share, "alice", "/Project", At(3), ShareRole.Editor)),
            Append(folder, ChangeKind.FolderCreated),
            new MetadataWrite.PutMember(NewMember(share, "bob", "/project", At(4))),
        ];

        var result = await files.ApplyAsync(writes, None);

        Assert.False(result.Applied);
        Assert.Equal(3, result.FailedWriteIndex);
        Assert.Empty(result.Changes);
        Assert.Null(await sharing.GetShareAsync(share.ShareId, None));
        Assert.Empty(await sharing.ListSharesInNamespaceAsync(ns, None));
        Assert.Empty(await sharing.ListMembersAsync(share.ShareId, None));
        Assert.Empty(await sharing.ListMembershipsAsync("u_alice", None));
        Assert.Equal(0, await files.GetLatestSequenceAsync(ns, None));
        Assert.Empty(await files.ReadJournalAsync(ns, 0, 10, None));
    }

    private static Share NewShare(string ns, string folderPath, DateTimeOffset createdAt) => new()
    {
        ShareId = "sh_" + Guid.NewGuid().ToString("N"),
        OwnerUserId = "u_" + ns,
        NamespaceId = ns,
        FolderPath = folderPath,
        CreatedAt = createdAt,
    };

    private static ShareMember NewMember(Share share, string name, string mountPath, DateTimeOffset addedAt, ShareRole role = ShareRole.Viewer) => new()
    {
        ShareId = share.ShareId,
        UserId = "u_" + name,
        Email = name + "@example.com",
        Role = role,
        MountPath = mountPath,
        AddedAt = addedAt,
    };
}
