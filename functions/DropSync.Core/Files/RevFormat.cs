using DropSync.Core.Accounts;

namespace DropSync.Core.Files;

/// <summary>The one check that a rev given by a client is one the server could have issued.</summary>
public static class RevFormat
{
    /// <summary>
    /// Throws 400 <c>invalid_rev</c> for a rev no server could have issued: a client bug, told apart from a rev that
    /// is well formed but unknown (404) or no longer current (409), and refused before anything is stored.
    /// </summary>
    public static void Require(string rev)
    {
        if (!Ids.IsRev(rev))
        {
            throw Errors.Errors.BadRequest(
                Errors.ErrorCodes.InvalidRev, "rev is not a DropSync revision id (32 hex digits); use the rev from the file's metadata, list_folder or list_revisions.");
        }
    }
}
