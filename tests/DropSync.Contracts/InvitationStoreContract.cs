using DropSync.Core.Model;
using DropSync.Core.Ports;
using Xunit;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Contracts;

/// <summary>
/// The behaviour every <see cref="IInvitationStore"/> adapter must have: one invitation per share and address (inviting
/// again changes only the role), found by id, by address and by share, and deleted by exactly one of racing callers.
/// </summary>
public abstract class InvitationStoreContract
{
    private static readonly CancellationToken None = CancellationToken.None;

    /// <summary>A new, empty store, isolated from every other test's; the subclass cleans it up.</summary>
    protected abstract Task<IInvitationStore> CreateStoreAsync();

    private static Invitation NewInvitation(string shareId, string email, ShareRole role, DateTimeOffset at) => new()
    {
        InvitationId = "inv_" + Guid.NewGuid().ToString("N"),
        ShareId = shareId,
        Email = email,
        Role = role,
        CreatedAt = at,
    };

    [Fact]
    public async Task An_invitation_round_trips_and_is_listed_by_address_and_by_share_oldest_first()
    {
        var store = await CreateStoreAsync();
        var bob = $"bob-{Guid.NewGuid():N}@example.com";
        var carol = $"carol-{Guid.NewGuid():N}@example.com";
        var later = NewInvitation("sh_design", bob, ShareRole.Viewer, At(20));
        var earlier = NewInvitation("sh_project", bob, ShareRole.Editor, At(10));
        var carolToProject = NewInvitation("sh_project", carol, ShareRole.Viewer, At(30));

        Assert.Equal(later, await store.PutInvitationAsync(later, None));
        Assert.Equal(earlier, await store.PutInvitationAsync(earlier, None));
        Assert.Equal(carolToProject, await store.PutInvitationAsync(carolToProject, None));

        Assert.Equal(earlier, await store.GetInvitationAsync(earlier.InvitationId, None));
        Assert.Null(await store.GetInvitationAsync("inv_unknown", None));
        Assert.Equal([earlier, later], await store.ListInvitationsForEmailAsync(bob, None));
        Assert.Equal([carolToProject], await store.ListInvitationsForEmailAsync(carol, None));
        Assert.Empty(await store.ListInvitationsForEmailAsync($"nobody-{Guid.NewGuid():N}@example.com", None));
        Assert.Equal([earlier, carolToProject], await store.ListInvitationsForShareAsync("sh_project", None));
        Assert.Empty(await store.ListInvitationsForShareAsync("sh_unknown", None));
    }

    [Fact]
    public async Task Inviting_the_same_address_to_the_same_share_again_keeps_the_invitation_and_takes_the_new_role()
    {
        var store = await CreateStoreAsync();
        var email = $"bob-{Guid.NewGuid():N}@example.com";
        var first = NewInvitation("sh_" + Guid.NewGuid().ToString("N"), email, ShareRole.Viewer, At(1));
        await store.PutInvitationAsync(first, None);

        var again = await store.PutInvitationAsync(NewInvitation(first.ShareId, email, ShareRole.Editor, At(99)), None);

        var expected = first with { Role = ShareRole.Editor };
        Assert.Equal(expected, again);
        Assert.Equal(expected, await store.GetInvitationAsync(first.InvitationId, None));
        Assert.Equal([expected], await store.ListInvitationsForEmailAsync(email, None));
        Assert.Equal([expected], await store.ListInvitationsForShareAsync(first.ShareId, None));
    }

    [Fact]
    public async Task Deleting_removes_every_view_of_the_invitation_and_only_one_of_racing_deletes_wins()
    {
        var store = await CreateStoreAsync();
        var email = $"bob-{Guid.NewGuid():N}@example.com";
        var gone = NewInvitation("sh_" + Guid.NewGuid().ToString("N"), email, ShareRole.Editor, At(1));
        var kept = NewInvitation("sh_" + Guid.NewGuid().ToString("N"), email, ShareRole.Viewer, At(2));
        await store.PutInvitationAsync(gone, None);
        await store.PutInvitationAsync(kept, None);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => store.DeleteInvitationAsync(gone.InvitationId, None)));

        Assert.Equal(1, outcomes.Count(won => won));
        Assert.Null(await store.GetInvitationAsync(gone.InvitationId, None));
        Assert.Equal([kept], await store.ListInvitationsForEmailAsync(email, None));
        Assert.Empty(await store.ListInvitationsForShareAsync(gone.ShareId, None));
        Assert.False(await store.DeleteInvitationAsync("inv_unknown", None));

        // The address may be invited to that share again, as a new invitation.
        var renewed = NewInvitation(gone.ShareId, email, ShareRole.Viewer, At(3));
        Assert.Equal(renewed, await store.PutInvitationAsync(renewed, None));
        Assert.Equal([renewed], await store.ListInvitationsForShareAsync(gone.ShareId, None));
    }
}
