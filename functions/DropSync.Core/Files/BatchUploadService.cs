using DropSync.Core.Accounts;
using DropSync.Core.Blocks;
using DropSync.Core.Content;
using DropSync.Core.Errors;
using DropSync.Core.Model;
using DropSync.Core.Paths;
using DropSync.Core.Sharing;

namespace DropSync.Core.Files;

/// <summary>Where and how one file of a batch goes: its path, write mode ("add", "overwrite", "update") and expected rev.</summary>
public sealed record BatchUploadItem(string? Path, string? Mode, string? Rev);

/// <summary>One file of a batch as it arrives: its position, what the manifest says of it, and its bytes (or why they could not be read).</summary>
public sealed record BatchUploadFile(int Index, BatchUploadItem Item, ReadOnlyMemory<byte> Content, DropSyncException? Error = null);

/// <summary>What became of one file of a batch: its metadata, or the error that file alone failed with.</summary>
public sealed record BatchUploadResult(int Index, string? Path, FileMetadata? Metadata, DropSyncException? Error);

/// <summary>
/// Many small files in one request: each file (at most one 4 MiB block) is verified, stored and committed on its own
/// with the same <see cref="FileCommitter"/> as a media upload, so one file's failure (a bad path, a conflict, no
/// permission) fails only that file, and a conflict keeps the conflicted copy as usual. Files are handled several at a
/// time as they arrive, so a batch streams through without being held whole in memory.
/// </summary>
public sealed class BatchUploadService(BlockService blocks, FileCommitter committer, PathResolver resolver)
{
    /// <summary>At most this many files per batch.</summary>
    public const int MaxFiles = 1000;

    /// <summary>Each file of a batch is at most one block (4 MiB); larger files go up by resumable upload.</summary>
    public const int MaxFileSize = Limits.MaxBlockSize;

    /// <summary>How many files of one batch are stored and committed at once.</summary>
    public const int Parallelism = 8;

    public async Task<IReadOnlyList<BatchUploadResult>> UploadAsync(
        Caller caller, IReadOnlyList<BatchUploadItem> manifest, IAsyncEnumerable<BatchUploadFile> files, CancellationToken ct)
    {
        if (manifest.Count > MaxFiles)
        {
            throw Errors.Errors.BadRequest(ErrorCodes.TooManyFiles, $"A batch has at most {MaxFiles} files; send the rest in another batch.");
        }

        var view = await resolver.ViewAsync(caller, ct);
        var results = new BatchUploadResult?[manifest.Count];
        await Parallel.ForEachAsync(
            files,
            new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct },
            async (file, c) =>
            {
                if (file.Index >= 0 && file.Index < results.Length)
                {
                    results[file.Index] = await UploadOneAsync(caller, view, file, c);
                }
            });

        for (var i = 0; i < results.Length; i++)
        {
            results[i] ??= new BatchUploadResult(i, manifest[i].Path, null,
                Errors.Errors.BadRequest(ErrorCodes.MissingContent, "The batch ended before this file's content part; send it again."));
        }

        return results!;
    }

    private async Task<BatchUploadResult> UploadOneAsync(Caller caller, UserView view, BatchUploadFile file, CancellationToken ct)
    {
        try
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
            if (file.Content.Length > 0)
            {
                var hash = BlockHash.Of(file.Content.Span);
                await blocks.StoreAsync(caller.UserId, hash, file.Content, ct);
                hasher.AppendPieceDigest(hash.ToBytes(), file.Content.Length);
                refs.Add(new BlockRef(hash, file.Content.Length));
            }

            var entry = await committer.CommitAsync(caller, at, new NewContent(refs, file.Content.Length, hasher.GetHashHex()), mode, file.Item.Rev, null, ct);
            return new BatchUploadResult(file.Index, file.Item.Path, FileMetadata.From(entry, at), null);
        }
        catch (DropSyncException e)
        {
            return new BatchUploadResult(file.Index, file.Item.Path, null, e);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new BatchUploadResult(file.Index, file.Item.Path, null,
                new DropSyncException(ErrorKind.Internal, ErrorCodes.InternalError, "This file could not be stored; send it again."));
        }
    }

    private static WriteMode ParseMode(string? mode) => mode switch
    {
        null or "" or "add" => WriteMode.Add,
        "overwrite" => WriteMode.Overwrite,
        "update" => WriteMode.Update,
        _ => throw Errors.Errors.BadRequest(ErrorCodes.InvalidMode, "mode must be add, overwrite or update."),
    };
}
