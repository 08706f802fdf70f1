namespace DropSync.Core.Model;

/// <summary>How an upload treats an existing file at its path (Dropbox's <c>mode</c>).</summary>
public enum WriteMode
{
    /// <summary>Create the file; if a different file is already there, it is a conflict.</summary>
    Add,

    /// <summary>Replace whatever is there.</summary>
    Overwrite,

    /// <summary>Replace the file only if its current rev is the given one; otherwise it is a conflict.</summary>
    Update,
}
