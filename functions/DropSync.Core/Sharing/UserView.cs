using DropSync.Core.Accounts;
using DropSync.Core.Model;
using DropSync.Core.Paths;

namespace DropSync.Core.Sharing;

/// <summary>A user's whole tree: their own namespace plus the shared folders mounted at its top.</summary>
public sealed class UserView(Caller caller, IReadOnlyList<Membership> memberships)
{
    public Caller Caller { get; } = caller;

    public IReadOnlyList<Membership> Memberships { get; } = memberships;

    public Location Own(DropPath path) => new(Caller.RootNamespaceId, path, DropPath.Root, DropPath.Root, Access.Owner, null);

    public Location Resolve(DropPath path)
    {
        foreach (var membership in Memberships)
        {
            var mount = DropPath.Parse(membership.Member.MountPath, allowRoot: false);
            if (mount.Contains(path))
            {
                var folder = DropPath.Parse(membership.Share.FolderPath, allowRoot: false);
                var access = membership.Member.Role == ShareRole.Editor ? Access.Editor : Access.Viewer;
                return new Location(membership.Share.NamespaceId, path.Rebase(mount, folder), mount, folder, access, membership);
            }
        }

        return Own(path);
    }

    /// <summary>Every place this user sees: their own namespace first, then each mounted share.</summary>
    public IEnumerable<Location> Places()
    {
        yield return Own(DropPath.Root);
        foreach (var membership in Memberships)
        {
            yield return Resolve(DropPath.Parse(membership.Member.MountPath, allowRoot: false));
        }
    }

    /// <summary>Whether a path in the user's own namespace is taken by a mount (a top-level name).</summary>
    public Membership? MountAt(DropPath path) => Memberships.FirstOrDefault(m => DropPath.KeyOf(m.Member.MountPath) == path.Key);
}
