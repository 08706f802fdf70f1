using DropSync.Core.Accounts;
using DropSync.Core.Content;
using DropSync.Core.Errors;
using DropSync.Core.Model;

namespace DropSync.Core.Files;

/// <summary>
/// A block list sent in parts: an upload begun with <c>more_blocks</c> takes the rest of its blocks here, in file order,
/// so that a client PUTs the first blocks while it still cuts the rest of the file. Each part is checked as the first one
/// is (block sizes, the blocks per file, never past the declared size), and the finish waits for the whole list.
/// </summary>
public sealed partial class UploadService
{
    /// <summary>
    /// Appends <paramref name="blocks"/> at <paramref name="index"/>, which must be where the list ends; a part sent again
    /// (its blocks already there at that index) changes nothing, so a retried request is safe. Answers the upload's state:
    /// the first page of the blocks still missing, with where to PUT them.
    /// </summary>
    public async Task<ResumableUploadState> AddBlocksAsync(Caller caller, string? uploadId, int? index, IReadOnlyList<BlockRef> blocks, CancellationToken ct)
    {
        if (index is not { } at || at < 0)
        {
            throw Errors.Errors.BadRequest(ErrorCodes.InvalidRequest, "index (where this part starts in the file's block list, from 0) is required.");
        }

        if (blocks.Count > Limits.MaxBlocksPerFile)
        {
            throw TooManyBlocks();
        }

        var partBytes = CheckBlockSizes(blocks);
        var session = await GetSessionAsync(caller, uploadId, ct);
        for (var attempt = 0; ; attempt++)
        {
            var count = session.Blocks.Count;
            if (at + blocks.Count <= count && Enumerable.Range(0, blocks.Count).All(i => session.Blocks[at + i] == blocks[i]))
            {
                return await StateAsync(session, ct);
            }

            if (at != count)
            {
                throw Errors.Errors.Conflict(
                    ErrorCodes.BlockIndexMismatch,
                    $"The upload's block list has {count} blocks, so the next part starts at index {count}, not {at}.",
                    new Dictionary<string, object?> { ["block_count"] = count });
            }

            if (count + blocks.Count > Limits.MaxBlocksPerFile)
            {
                throw TooManyBlocks();
            }

            var total = session.Blocks.Sum(b => (long)b.Size) + partBytes;
            if (total > session.Size)
            {
                throw Errors.Errors.BadRequest(ErrorCodes.SizeMismatch, $"The blocks would add up to {total} bytes, more than the upload's size {session.Size}.");
            }

            if (await sessions.AppendBlocksAsync(session, blocks, ct))
            {
                var extended = session with { Blocks = [.. session.Blocks, .. blocks] };
                pieceHashing?.Extend(extended.UploadId, extended.Blocks);
                return await StateAsync(extended, ct);
            }

            // Another part (or the finish) came first: read the list again and judge this part against it.
            var again = await GetSessionAsync(caller, uploadId, ct);
            if (attempt > 0 && again.Blocks.Count == count)
            {
                throw Errors.Errors.Conflict(ErrorCodes.BlockIndexMismatch, "The upload's block list can no longer be extended (it was finished).");
            }

            session = again;
        }
    }
}
