using DropSync.Core.Model;
using DropSync.Core.Paths;

namespace DropSync.Core.Sharing;

/// <summary>
/// Where a path the user named really is: a namespace and the path inside it, plus how to map namespace paths back
/// to what this user sees. For the user's own files the two are the same; inside a folder shared with the user,
/// <see cref="ViewRoot"/> is where it is mounted in the user's tree and <see cref="InnerRoot"/> the folder in the owner's.
/// </summary>
public sealed record Location(string NamespaceId, DropPath Inner, DropPath ViewRoot, DropPath InnerRoot, Access Access, Membership? Membership)
{
    public bool CanWrite => Access != Access.Viewer;

    /// <summary>True for the top of a folder shared with this user (its mount point).</summary>
    public bool IsMountRoot => Membership is not null && Inner.Key == InnerRoot.Key;

    /// <summary>A path in the namespace as this user sees it; null if it lies outside what this location shows.</summary>
    public string? ToView(string innerDisplay)
    {
        var inner = DropPath.Parse(innerDisplay, allowRoot: true);
        if (InnerRoot.IsRoot && ViewRoot.IsRoot)
        {
            // The user's own namespace (every answer of an owner's upload): the view is the path itself, no rebasing.
            return inner.ToString();
        }

        if (!InnerRoot.Contains(inner))
        {
            return null;
        }

        return inner.Rebase(InnerRoot, ViewRoot).ToString();
    }

    /// <summary>The same location for another path in the same namespace (for example a conflicted copy's).</summary>
    public Location At(DropPath inner) => this with { Inner = inner };

    public void RequireWrite()
    {
        if (!CanWrite)
        {
            throw Errors.Errors.Forbidden(Errors.ErrorCodes.NoWritePermission, "This folder is shared with you as a viewer; ask its owner for editor access to change it.");
        }
    }
}
