using DropSync.Client.Api;
using DropSync.Core.Content;

namespace DropSync.Client.Sync;

/// <summary>How to tell whether a local file holds a server revision's bytes when no index entry links them.</summary>
public enum ContentCheck
{
    /// <summary>Not the same bytes, or nothing to compare with: upload as usual (the server keeps both if they differ).</summary>
    Different,

    /// <summary>The revision has Dropbox's hash, which no block cut changes: hash the local file's 4 MiB pieces (no request).</summary>
    HashPieces,

    /// <summary>The revision has a b1 hash, which depends on its cut: hash the local file at the revision's block boundaries.</summary>
    HashAtRemoteCuts,
}

/// <summary>
/// Whether a local file and a server file of the same size hold the same bytes although their hashes are of other kinds or
/// over other block cuts (another client's size class, a Dropbox-kind revision against a b1 one). Pure decisions; the
/// hashing is <see cref="SameContentCheck"/>'s. Asked only for a file new on both sides with equal sizes: the index's
/// files compare by <see cref="SyncPlanner.SameContent"/>, at no cost.
/// </summary>
public static class ContentMatch
{
    /// <summary>What to hash before an add-mode upload of <paramref name="localSize"/> bytes onto <paramref name="remote"/>.</summary>
    public static ContentCheck BeforeAdd(long localSize, RemoteEntry remote)
    {
        if (!remote.IsFile || remote.Size != localSize || !ContentHash.TryParse(remote.ContentHash, out var hash))
        {
            return ContentCheck.Different;
        }

        return hash.Kind == ContentHashKind.BlockList ? ContentCheck.HashAtRemoteCuts : ContentCheck.HashPieces;
    }

    /// <summary>Whether the local file's pieces make the revision's Dropbox hash.</summary>
    public static bool SamePieces(string localPiecesHash, RemoteEntry remote) =>
        ContentHash.SameContent(localPiecesHash, remote.ContentHash) == true;

    /// <summary>
    /// Whether the local bytes at the revision's block boundaries (<paramref name="local"/>: the SHA-256 of each range, in
    /// order; fewer when the hashing stopped at the first mismatch) are the revision's blocks, and the blocks make the
    /// revision's value and size — every block's name matched, so nothing is taken on trust.
    /// </summary>
    public static bool SameAtCuts(IReadOnlyList<BlockRef> remoteBlocks, IReadOnlyList<BlockHash> local, RemoteEntry remote)
    {
        if (local.Count != remoteBlocks.Count || remoteBlocks.Sum(b => (long)b.Size) != remote.Size)
        {
            return false;
        }

        for (var n = 0; n < local.Count; n++)
        {
            if (local[n] != remoteBlocks[n].Hash)
            {
                return false;
            }
        }

        return ContentHash.FromNames(remoteBlocks, ContentHash.KindOf(remote.ContentHash)) is { } made
            && ContentHash.SameContent(made, remote.ContentHash) == true;
    }
}
