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
}
