namespace DropSync.Core.Model;

/// <summary>What a journal entry records.</summary>
public enum ChangeKind
{
    Added,
    Edited,
    Deleted,
    Moved,
    Copied,
    Restored,
    FolderCreated,
    Shared,
    Unshared,

    /// <summary>
    /// A member left a shared folder (or was removed), recorded in the folder's own namespace: the folder and its
    /// contents are unchanged for everyone else, so it changes no one's tree; the owner is told.
    /// </summary>
    MemberLeft,
}
