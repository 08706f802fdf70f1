namespace DropSync.Core.Model;

public enum EntryKind
{
    File,
    Folder,
}
