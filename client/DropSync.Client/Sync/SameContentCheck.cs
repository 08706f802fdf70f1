using System.Buffers;
using DropSync.Client.Api;
using DropSync.Core.Content;

namespace DropSync.Client.Sync;

/// <summary>
/// Hashes a local file the way <see cref="ContentMatch"/> says, to learn whether it is a server file's bytes: its 4 MiB
/// pieces for a Dropbox-kind revision, or its ranges at the revision's block boundaries (from <c>/files/get_blocks</c>)
/// for a b1 one, stopping at the first range that differs. One pass at most, streamed.
/// </summary>
internal sealed class SameContentCheck(SyncPass p)
{
    private const int BufferSize = 1024 * 1024;

    /// <summary>The blocks the local file is known to be (empty for a Dropbox-kind revision), or null when its bytes are not the revision's.</summary>
    public async Task<IReadOnlyList<BlockRef>?> SameAsync(string full, RemoteEntry remote, CancellationToken ct)
    {
        var info = new FileInfo(full);
        switch (ContentMatch.BeforeAdd(info.Exists ? info.Length : -1, remote))
        {
            case ContentCheck.HashPieces:
                return ContentMatch.SamePieces(await PiecesHashAsync(full, ct), remote) ? [] : null;
            case ContentCheck.HashAtRemoteCuts:
                return await AtRemoteCutsAsync(full, remote, ct);
            default:
                return null;
        }
    }

    private static async Task<string> PiecesHashAsync(string full, CancellationToken ct)
    {
        using var hasher = new ContentHasher();
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            await using var file = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
            int read;
            while ((read = await file.ReadAsync(buffer.AsMemory(0, BufferSize), ct)) > 0)
            {
                hasher.Append(buffer.AsSpan(0, read));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return hasher.GetHashHex();
    }

    private async Task<IReadOnlyList<BlockRef>?> AtRemoteCutsAsync(string full, RemoteEntry remote, CancellationToken ct)
    {
        var remoteBlocks = new List<BlockRef>();
        var local = new List<BlockHash>();
        var buffer = ArrayPool<byte>.Shared.Rent(Limits.MaxBlockSize);
        try
        {
            using var handle = File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.SequentialScan);
            long offset = 0;
            var list = await p.Api.GetBlocksAsync(remote.Path, remote.Rev, 0, ct);
            while (true)
            {
                foreach (var block in list.Blocks)
                {
                    var expected = new BlockRef(BlockHash.Parse(block.Hash), block.Size);
                    remoteBlocks.Add(expected);
                    if (block.Size > buffer.Length || await RandomAccess.ReadAsync(handle, buffer.AsMemory(0, block.Size), offset, ct) != block.Size)
                    {
                        return null;
                    }

                    var name = BlockHash.Of(buffer.AsSpan(0, block.Size));
                    if (name != expected.Hash)
                    {
                        return null; // The first range that differs settles it: the rest is not read.
                    }

                    local.Add(name);
                    offset += block.Size;
                }

                if (!list.HasMore || list.NextStart is not { } next)
                {
                    break;
                }

                list = await p.Api.GetBlocksAsync(remote.Path, remote.Rev, next, ct);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return ContentMatch.SameAtCuts(remoteBlocks, local, remote) ? remoteBlocks : null;
    }
}
