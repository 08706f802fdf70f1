namespace DropSync.Core.Sharing;

/// <summary>What a caller may do at a location.</summary>
public enum Access
{
    Owner,
    Editor,
    Viewer,
}
