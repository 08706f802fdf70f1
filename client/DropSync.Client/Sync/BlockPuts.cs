using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using DropSync.Client.Api;
using DropSync.Core.Content;
using DropSync.Core.Errors;
using Microsoft.Win32.SafeHandles;

namespace DropSync.Client.Sync;

/// <summary>PUTs one file's blocks to their signed URLs, reading each from the file at the offset it was cut from.</summary>
internal sealed class BlockPutter(SyncPass p, LocalItem item, SafeFileHandle handle)
{
    private readonly ConcurrentDictionary<string, (long Offset, int Size)> _where = new(StringComparer.Ordinal);
    private long _sent;

    /// <summary>Bytes PUT so far.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>The upload session the blocks go to, once begun (or resumed): aborted if the upload is given up.</summary>
    public string? UploadId { get; set; }

    /// <summary>Records where <paramref name="blocks"/> are in the file (the first at <paramref name="offset"/>), before any of them is PUT.</summary>
    public void Locate(IEnumerable<BlockRef> blocks, long offset)
    {
        foreach (var b in blocks)
        {
            _where.TryAdd(b.Hash.Hex, (offset, b.Size));
            offset += b.Size;
        }
    }

    public async Task PutAsync(MissingBlock m, CancellationToken ct)
    {
        var (at, length) = _where[m.Hash];
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            // The block is not hashed again here: the server (S3 through the signed checksum) hashes every block it takes
            // and refuses one that no longer matches its name, so a file changed since it was chunked fails below, and
            // hashing 1 GiB twice on the client cost a core for nothing.
            var read = await ResumableUploader.ReadExactlyAtAsync(handle, buffer.AsMemory(0, length), at, ct);
            if (read != length)
            {
                throw ChangedWhileUploading();
            }

            try
            {
                await TransientRetry.RunAsync(t => p.Api.PutBlockAsync(m, buffer.AsMemory(0, length), t), ct);
            }
            catch (DropSyncApiException e) when (e.Code == ErrorCodes.BlockHashMismatch || e.ServerMessage.Contains("<Code>BadDigest</Code>", StringComparison.Ordinal))
            {
                // S3 answers a checksum mismatch in XML (code BadDigest), which reaches here as the message. The block may
                // also have been named from the previous scan by a digest that collided: the next scan starts afresh.
                p.Index.RemoveKnownBlocks(item.Key);
                throw ChangedWhileUploading();
            }

            Interlocked.Add(ref _sent, length);
            p.Report.Uploaded(length);
            p.Advance(length, item.Rel);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// PUTs a run's blocks in one request, each read from the file as the body goes out (one block in memory). A run
    /// that fails on the way (connection, 5xx, any refusal but a block that no longer matches its name) is sent again
    /// block by block, each PUT with its retries: blocks the run stored already are stored again, harmlessly.
    /// </summary>
    public async Task PutRunAsync(UploadRun run, IReadOnlyList<MissingBlock> blocks, CancellationToken ct)
    {
        var places = blocks.Select(m => _where[m.Hash]).ToList();
        try
        {
            using var body = new BlockRunContent(handle, places);
            await p.Api.PutBlockRunAsync(run, body, ct);
        }
        catch (DropSyncApiException e) when (e.Code == ErrorCodes.BlockHashMismatch)
        {
            p.Index.RemoveKnownBlocks(item.Key);
            throw ChangedWhileUploading();
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            p.Options.Log?.Invoke($"{item.Rel}: a run of {blocks.Count} blocks failed ({e.Message}); sending them one by one");
            foreach (var m in blocks)
            {
                await PutAsync(m, ct);
            }

            return;
        }

        foreach (var (_, length) in places)
        {
            Interlocked.Add(ref _sent, length);
            p.Report.Uploaded(length);
            p.Advance(length, item.Rel);
        }
    }

    /// <summary>One PUT of a block or a run, within the pass's bound on block transfers (never nested: a run's fallback PUTs are inside its slot).</summary>
    public Task SendAsync(BlockSend send, CancellationToken ct) =>
        p.InBlockSlotAsync(() => send.Run is { } run ? PutRunAsync(run, send.Blocks, ct) : PutAsync(send.Blocks[0], ct), ct);

    /// <summary>PUTs a page of missing blocks (by runs where the server offers them), <see cref="SyncOptions.BlockParallelism"/> requests at once.</summary>
    public Task PutAllAsync(UploadSession session, CancellationToken ct) =>
        Parallel.ForEachAsync(
            BlockSend.Cut(session.Missing, session.Runs, new HashSet<string>(StringComparer.Ordinal)),
            new ParallelOptions { MaxDegreeOfParallelism = p.Options.BlockParallelism, CancellationToken = ct },
            async (s, c) => await SendAsync(s, c));

    /// <summary>The file's bytes no longer match the blocks it was chunked into: forget the session, so the next sync chunks it afresh.</summary>
    public IOException ChangedWhileUploading()
    {
        p.Index.RemoveUpload(item.Key);
        return new FileChangedWhileUploadingException($"{item.Rel} changed while it was being uploaded; it will be uploaded again on the next sync.");
    }
}

/// <summary>
/// Blocks PUT while the file is still being cut: each block the server answers missing is queued once, in the order
/// offered (file order), alone or in a run, and <see cref="SyncOptions.BlockParallelism"/> workers PUT them. The first failure stops the
/// workers and <see cref="Stopping"/>, and <see cref="DrainAsync"/> rethrows it.
/// </summary>
internal sealed class BlockPutQueue : IAsyncDisposable
{
    private readonly BlockPutter _putter;
    private readonly Channel<BlockSend> _queue = Channel.CreateUnbounded<BlockSend>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly HashSet<string> _offered = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop;
    private readonly Task[] _workers;
    private ExceptionDispatchInfo? _failure;

    public BlockPutQueue(BlockPutter putter, int parallelism, CancellationToken ct)
    {
        _putter = putter;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _workers = Enumerable.Range(0, Math.Max(1, parallelism)).Select(_ => Task.Run(WorkAsync)).ToArray();
    }

    /// <summary>Cancelled when a PUT failed (or the caller's token was): the scan and the list's parts stop with it.</summary>
    public CancellationToken Stopping => _stop.Token;

    /// <summary>Queues the missing blocks of <paramref name="session"/> not queued before, by runs where it offers them.</summary>
    public void Offer(UploadSession session)
    {
        foreach (var send in BlockSend.Cut(session.Missing, session.Runs, _offered))
        {
            _queue.Writer.TryWrite(send);
        }
    }

    /// <summary>Waits for every queued PUT; rethrows the first failure.</summary>
    public async Task DrainAsync()
    {
        _queue.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_workers);
        }
        catch (OperationCanceledException) when (_failure is not null)
        {
        }

        _failure?.Throw();
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_workers);
        }
        catch (Exception)
        {
            // Already reported by DrainAsync, or the upload failed elsewhere first.
        }

        _stop.Dispose();
    }

    private async Task WorkAsync()
    {
        try
        {
            await foreach (var send in _queue.Reader.ReadAllAsync(_stop.Token))
            {
                await _putter.SendAsync(send, _stop.Token);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !_stop.IsCancellationRequested)
        {
            Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(e), null);
            await _stop.CancelAsync();
            throw;
        }
    }
}
