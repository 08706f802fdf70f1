using DropSync.Core.Model;
using DropSync.Core.Ports;

namespace DropSync.Core.Feed;

/// <summary>
/// What the fan-out (<see cref="ChangeFanout"/>) reads about a change, kept across a run of changes dispatched together
/// (a batch upload's commits): the actor's device and email, a namespace's shares, a share's members. Kept no longer
/// than the run, and shares and members are read again after any change that can alter them (sharing, or a move,
/// delete or restore that may carry a shared folder), so each change sees the sharing state as it would have read it
/// alone. Single-threaded, like the dispatch.
/// </summary>
public sealed class FanoutLookups
{
    private readonly Dictionary<string, (Device? Device, string Email)> _actors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<Share>> _shares = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<ShareMember>> _members = new(StringComparer.Ordinal);

    internal async Task<(Device? Device, string Email)> ActorAsync(IAccountStore accounts, string deviceId, CancellationToken ct)
    {
        if (!_actors.TryGetValue(deviceId, out var actor))
        {
            var device = await accounts.GetDeviceAsync(deviceId, ct);
            actor = (device, device is null ? "" : (await accounts.GetAccountAsync(device.UserId, ct))?.Email ?? "");
            _actors[deviceId] = actor;
        }

        return actor;
    }

    internal async Task<IReadOnlyList<Share>> SharesAsync(ISharingStore sharing, string namespaceId, CancellationToken ct)
    {
        if (!_shares.TryGetValue(namespaceId, out var shares))
        {
            shares = await sharing.ListSharesInNamespaceAsync(namespaceId, ct);
            _shares[namespaceId] = shares;
        }

        return shares;
    }

    internal async Task<IReadOnlyList<ShareMember>> MembersAsync(ISharingStore sharing, string shareId, CancellationToken ct)
    {
        if (!_members.TryGetValue(shareId, out var members))
        {
            members = await sharing.ListMembersAsync(shareId, ct);
            _members[shareId] = members;
        }

        return members;
    }

    /// <summary>Forgets shares and members after a change that may alter them; a new file, an edit or a new folder never does.</summary>
    internal void ForgetSharesAfter(ChangeRecord change)
    {
        if (change.Kind is not (ChangeKind.Added or ChangeKind.Edited or ChangeKind.FolderCreated))
        {
            _shares.Clear();
            _members.Clear();
        }
    }
}
