namespace DropSync.Core.Model;

/// <summary>What a member of a shared folder may do: viewers read, editors also write.</summary>
public enum ShareRole
{
    Viewer,
    Editor,
}
