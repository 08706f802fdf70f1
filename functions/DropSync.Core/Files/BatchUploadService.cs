using DropSync.Core.Accounts;
using DropSync.Core.Blocks;
using DropSync.Core.Content;
using DropSync.Core.Diagnostics;
using DropSync.Core.Errors;
using DropSync.Core.Model;
using DropSync.Core.Paths;
using DropSync.Core.Ports;
using DropSync.Core.Sharing;

namespace DropSync.Core.Files;

/// <summary>Where and how one file of a batch goes: its path, write mode ("add", "overwrite", "update") and expected rev.</summary>
public sealed record BatchUploadItem(string? Path, string? Mode, string? Rev);

/// <summary>One file of a batch as it arrives: its position, what the manifest says of it, and its bytes (or why they could not be read).</summary>
public sealed record BatchUploadFile(int Index, BatchUploadItem Item, ReadOnlyMemory<byte> Content, DropSyncException? Error = null);

/// <summary>What became of one file of a batch: its metadata, or the error that file alone failed with.</summary>
public sealed record BatchUploadResult(int Index, string? Path, FileMetadata? Metadata, DropSyncException? Error);

/// <summary>
/// Many small files in one request: each file (at most one 4 MiB block) is verified and sealed (a small block) or
/// stored (a larger one) as it arrives, several at a time; then all of them are committed together with
/// <see cref="FileCommitter.CommitEachAsync"/>, the sealed blocks in the same durable write as the commits (embedded
/// store: one group-commit write for the whole batch, where each block was a write of its own). Each file still
/// commits on its own terms, as a media upload would: one file's failure (a bad path, a conflict, no permission) fails
/// only that file, and a conflict keeps the conflicted copy as usual.
/// </summary>
public sealed class BatchUploadService(BlockService blocks, FileCommitter committer, PathResolver resolver)
{
    /// <summary>At most this many files per batch.</summary>
    public const int MaxFiles = 1000;

    /// <summary>Each file of a batch is at most one block (4 MiB); larger files go up by resumable upload.</summary>
    public const int MaxFileSize = Limits.MaxBlockSize;

    /// <summary>How many files of one batch are verified and stored at once.</summary>
    public const int Parallelism = 8;

    public async Task<IReadOnlyList<BatchUploadResult>> UploadAsync(
        Caller caller, IReadOnlyList<BatchUploadItem> manifest, IAsyncEnumerable<BatchUploadFile> files, CancellationToken ct)
    {
        if (manifest.Count > MaxFiles)
        {
            throw Errors.Errors.BadRequest(ErrorCodes.TooManyFiles, $"A batch has at most {MaxFiles} files; send the rest in another batch.");
        }

        var view = await resolver.ViewAsync(caller, ct);
        RequestStages.Mark("view");
        var results = new BatchUploadResult?[manifest.Count];
        var stored = new (PendingCommit Commit, string? Path)?[manifest.Count];
        var sealedBlocks = new SealedBlock?[manifest.Count];
        await Parallel.ForEachAsync(
            files,
            new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct },
            async (file, c) =>
            {
                if (file.Index >= 0 && file.Index < results.Length)
                {
                    try
                    {
                        var (commit, sealedBlock) = await StoreOneAsync(caller, view, file, c);
                        (stored[file.Index], sealedBlocks[file.Index]) = ((commit, file.Item.Path), sealedBlock);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        results[file.Index] = Failed(file.Index, file.Item.Path, e);
                    }
                }
            });
        RequestStages.Mark("files read and stored");

        // In manifest order, so the journal lists the files as the batch did.
        var indexes = Enumerable.Range(0, stored.Length).Where(i => stored[i] is not null && results[i] is null).ToList();
        // The small blocks go in the commits' own write: one durable write for the whole batch.
        var carried = blocks.CarryAll(indexes.Select(i => sealedBlocks[i]).OfType<SealedBlock>());
        var outcomes = await committer.CommitEachAsync(caller, indexes.Select(i => stored[i]!.Value.Commit).ToList(), carried, ct);
        for (var j = 0; j < indexes.Count; j++)
        {
            var (commit, path) = stored[indexes[j]]!.Value;
            results[indexes[j]] = outcomes[j].Entry is { } entry
                ? new BatchUploadResult(indexes[j], path, FileMetadata.From(entry, commit.At), null)
                : Failed(indexes[j], path, outcomes[j].Error!);
        }

        for (var i = 0; i < results.Length; i++)
        {
            results[i] ??= new BatchUploadResult(i, manifest[i].Path, null,
                Errors.Errors.BadRequest(ErrorCodes.MissingContent, "The batch ended before this file's content part; send it again."));
        }

        return results!;
    }

    /// <summary>Checks one file and seals its block (stored with the batch's commits) or stores it (a large one); answers what to commit.</summary>
    private async Task<(PendingCommit Commit, SealedBlock? Block)> StoreOneAsync(Caller caller, UserView view, BatchUploadFile file, CancellationToken ct)
    {
        if (file.Error is not null)
        {
            throw file.Error;
        }

        var path = DropPath.Parse(file.Item.Path, allowRoot: false);
        var mode = ParseMode(file.Item.Mode);
        UploadService.CheckMode(mode, file.Item.Rev);
        var at = view.Resolve(path);
        at.RequireWrite();
        if (file.Content.Length > MaxFileSize)
        {
            throw Errors.Errors.TooLarge(ErrorCodes.FileTooLarge, $"A file in a batch is at most {MaxFileSize} bytes; upload larger files on their own.");
        }

        using var hasher = new ContentHasher();
        var refs = new List<BlockRef>(1);
        SealedBlock? sealedBlock = null;
        if (file.Content.Length > 0)
        {
            // Named here from the bytes themselves, so the store need not hash them again to verify the name.
            var hash = BlockHash.Of(file.Content.Span);
            sealedBlock = blocks.TrySealHashed(caller.UserId, hash, file.Content);
            if (sealedBlock is null)
            {
                await blocks.StoreHashedAsync(caller.UserId, hash, file.Content, ct);
            }

            hasher.AppendPieceDigest(hash.ToBytes(), file.Content.Length);
            refs.Add(new BlockRef(hash, file.Content.Length));
        }

        return (new PendingCommit(at, new NewContent(refs, file.Content.Length, hasher.GetHashHex()), mode, file.Item.Rev), sealedBlock);
    }

    /// <summary>A file's failure; an unexpected one (a store or metadata call that broke) keeps its cause for the log.</summary>
    private static BatchUploadResult Failed(int index, string? path, Exception error) => new(index, path, null, error as DropSyncException
        ?? new DropSyncException(ErrorKind.Internal, ErrorCodes.InternalError, "This file could not be stored; send it again.", error));

    private static WriteMode ParseMode(string? mode) => mode switch
    {
        null or "" or "add" => WriteMode.Add,
        "overwrite" => WriteMode.Overwrite,
        "update" => WriteMode.Update,
        _ => throw Errors.Errors.BadRequest(ErrorCodes.InvalidMode, "mode must be add, overwrite or update."),
    };
}
