using DropSync.Client.Tests.Infrastructure;

namespace DropSync.Client.Tests;

[Collection("server")]
public sealed class SharedFolderSyncTests(ServerFixture fixture)
{
    [Fact]
    public async Task A_viewers_edits_are_kept_as_local_only_copies_and_never_resent()
    {
        var ownerEmail = await fixture.NewAccountAsync();
        var viewerEmail = await fixture.NewAccountAsync();
        using var owner = await fixture.DeviceAsync(ownerEmail, "owner-laptop");
        using var viewer = await fixture.DeviceAsync(viewerEmail, "viewer-phone");
        owner.Write("Team/plan.txt", "the plan");
        owner.Write("Team/big.bin", TestData.RandomBytes(2 * 1024 * 1024, 3));
        await owner.SyncAsync();
        await owner.Api.AddMemberAsync("/Team", viewerEmail, "viewer", default);
        await viewer.Api.AcceptInvitationAsync((await viewer.Api.ListInvitationsAsync(default)).Single().InvitationId, default);
        viewer.Write("mine.txt", "the viewer's own file");
        await viewer.SyncAsync();
        Assert.Equal("the plan", viewer.Read("Team/plan.txt"));

        viewer.Write("Team/plan.txt", "the viewer's edit");
        viewer.Write("Team/big.bin", TestData.RandomBytes(2 * 1024 * 1024, 4));
        viewer.Write("Team/new.txt", "a viewer's new file");
        var first = await viewer.SyncAsync();

        // Nothing failed and nothing was lost: each edit is a local-only copy, the server's version is back in place.
        Assert.Empty(first.Errors);
        Assert.Equal(0, first.FilesUploaded);
        Assert.Equal(3, first.Conflicts.Count);
        Assert.All(first.Conflicts, c => Assert.Contains("viewer", c, StringComparison.Ordinal));
        Assert.Contains(first.Conflicts, c => c.StartsWith("Team/plan.txt:", StringComparison.Ordinal));
        Assert.Contains(first.Conflicts, c => c.StartsWith("Team/big.bin:", StringComparison.Ordinal));
        Assert.Contains(first.Conflicts, c => c.StartsWith("Team/new.txt:", StringComparison.Ordinal));
        Assert.Equal("the plan", viewer.Read("Team/plan.txt"));
        var planCopy = Assert.Single(viewer.Files(), f => f.StartsWith("Team/plan (conflicted copy from viewer-phone", StringComparison.Ordinal));
        Assert.Equal("the viewer's edit", viewer.Read(planCopy));
        var bigCopy = Assert.Single(viewer.Files(), f => f.StartsWith("Team/big (conflicted copy from viewer-phone", StringComparison.Ordinal));
        Assert.Equal(TestData.RandomBytes(2 * 1024 * 1024, 4), File.ReadAllBytes(viewer.PathOf(bigCopy)));
        Assert.Equal(TestData.RandomBytes(2 * 1024 * 1024, 3), File.ReadAllBytes(viewer.PathOf("Team/big.bin")));
        Assert.Equal("a viewer's new file", viewer.Read("Team/new.txt"));

        // The next syncs send nothing and report nothing: the refusal is remembered until the files change.
        viewer.Counter.Reset();
        var second = await viewer.SyncAsync();
        Assert.Empty(second.Errors);
        Assert.Empty(second.Conflicts);
        Assert.Equal(0, viewer.Counter.Requests("/files/upload") + viewer.Counter.Requests("/files/upload_batch"));
        Assert.Equal(0, viewer.Counter.Sent);

        // The owner's tree is untouched.
        var ownerFiles = (await owner.Api.ListFolderAsync("/Team", true, default)).Where(e => e.IsFile).Select(e => e.Name).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["big.bin", "plan.txt"], ownerFiles);

        // A deleted file is put back from the server rather than failing on every sync.
        File.Delete(viewer.PathOf("Team/plan.txt"));
        var deleted = await viewer.SyncAsync();
        Assert.Empty(deleted.Errors);
        Assert.Contains(deleted.Conflicts, c => c.StartsWith("Team/plan.txt:", StringComparison.Ordinal) && c.Contains("viewer", StringComparison.Ordinal));
        Assert.Equal("the plan", viewer.Read("Team/plan.txt"));
    }
}
