using DropSync.Core.Accounts;
using DropSync.Core.Ports;

namespace DropSync.Core.Sharing;

/// <summary>Builds a caller's <see cref="UserView"/> (one read of their memberships per request).</summary>
public sealed class PathResolver(ISharingStore sharing)
{
    public async Task<UserView> ViewAsync(Caller caller, CancellationToken ct) =>
        new(caller, await sharing.ListMembershipsAsync(caller.UserId, ct));
}
