using System.Net;
using DropSync.Client.Api;
using DropSync.Client.Transfer;

namespace DropSync.Client.Sync;

/// <summary>
/// One pass of a sync: loads the index, scans the folder, fetches the server's tree, settles name clashes, asks
/// <see cref="SyncPlanner"/> for the plan and runs it (moves first, then transfers and deletes side by side, then
/// folders). Holds what the pass's parts share: the three trees, the server's limits, progress and the report.
/// </summary>
internal sealed class SyncPass
{
    private long _progressDone, _progressTotal;

    /// <summary>The pass's block transfers in flight, up and down (<see cref="SyncOptions.MaxBlockTransfers"/>).</summary>
    private readonly SemaphoreSlim _blockTransfers;

    public SyncPass(DropSyncApi api, string root, string deviceName, LocalIndex index, SyncOptions options, SyncReport report)
    {
        (Api, Root, DeviceName, Index, Options, Report) = (api, root, deviceName, index, options, report);
        Names = new LocalNames(this);
        Clashes = new NameClashResolver(this);
        Recorder = new IndexRecorder(this);
        Conflicts = new ConflictHandler(this);
        Uploads = new Uploader(this);
        SameContent = new SameContentCheck(this);
        Resumable = new ResumableUploader(this);
        Downloads = new Downloader(this);
        BatchDownloads = new BatchDownloader(this);
        LocalBlocks = new LocalBlockSource(this);
        Moves = new MoveExecutor(this);
        Deletes = new DeleteExecutor(this);
        Folders = new FolderExecutor(this);
        _blockTransfers = new SemaphoreSlim(Math.Max(1, options.MaxBlockTransfers));
    }

    public DropSyncApi Api { get; }
    public string Root { get; }
    public string DeviceName { get; }
    public LocalIndex Index { get; }
    public SyncOptions Options { get; }
    public SyncReport Report { get; }

    public LocalNames Names { get; }
    public NameClashResolver Clashes { get; }
    public IndexRecorder Recorder { get; }
    public ConflictHandler Conflicts { get; }
    public Uploader Uploads { get; }
    public SameContentCheck SameContent { get; }
    public ResumableUploader Resumable { get; }
    public Downloader Downloads { get; }
    public BatchDownloader BatchDownloads { get; }
    public LocalBlockSource LocalBlocks { get; }
    public MoveExecutor Moves { get; }
    public DeleteExecutor Deletes { get; }
    public FolderExecutor Folders { get; }

    /// <summary>Runs one block transfer (a block or a run, with its own fallbacks inside) once the pass has room for it.</summary>
    public async Task InBlockSlotAsync(Func<Task> transfer, CancellationToken ct)
    {
        await _blockTransfers.WaitAsync(ct);
        try
        {
            await transfer();
        }
        finally
        {
            _blockTransfers.Release();
        }
    }

    /// <summary>The engine's: frees the files downloads replaced, off the downloads' way.</summary>
    public ReplacedFiles Replaced { get; init; } = new();

    /// <summary>The downloads' piece buffers, kept from one download to the next of this pass (freed by the engine after it).</summary>
    public PieceBuffers PieceBuffers { get; } = new();

    public IgnoreRules Ignore { get; private set; } = null!;
    public Dictionary<string, LocalItem> Local { get; set; } = null!;
    public Dictionary<string, IndexEntry> Indexed { get; private set; } = null!;
    public IReadOnlyDictionary<string, RemoteEntry> Remote { get; set; } = null!;
    public Dictionary<string, (long Size, long Mtime)> LocalOnly { get; private set; } = null!;

    /// <summary>What the server takes and answers (GET /config): uploads and downloads stay within its limits.</summary>
    public ServerConfig Server { get; private set; } = null!;

    /// <summary>Local names the scan found a second spelling of (differing only by case), left out of <see cref="Local"/> until renamed apart.</summary>
    public List<(string Rel, bool IsDir)> CaseClashes { get; } = [];

    /// <summary>Set when this pass renamed local files aside or forgot index entries to fetch again: a second pass finishes the job.</summary>
    public bool Again { get; set; }

    /// <summary>
    /// Set for an incremental pass: only these local paths are read, with the server's delta, and only the keys they
    /// cover (<see cref="Focus"/>) are planned. Null: the whole folder is read and planned.
    /// </summary>
    public LocalScope? Scope { get; set; }

    /// <summary>The keys an incremental pass plans (null in a full pass).</summary>
    public HashSet<string>? Focus { get; private set; }

    // The keys the server's delta changed (an incremental pass).
    private IReadOnlyCollection<string> _remoteChanged = [];

    public bool Up => Options.Direction != SyncDirection.Pull;
    public bool Down => Options.Direction != SyncDirection.Push;

    /// <summary>Reads the three trees and settles name clashes (renaming local items apart), ready to plan.</summary>
    public async Task LoadAsync(IRemoteChangeSource remote, CancellationToken ct)
    {
        var at = System.Diagnostics.Stopwatch.GetTimestamp();
        // Asked while the trees are read (the first request of a fresh process also opens the connection).
        var config = Api.GetConfigAsync(ct);
        Ignore = IgnoreRules.Load(Root);
        LocalOnly = Index.LoadLocalOnly();
        IReadOnlyDictionary<string, RemoteEntry>? snapshot = null;
        if (Scope is not null)
        {
            // The server first: its delta says what else to read here. A source that cannot tell makes it a full pass.
            snapshot = await remote.GetSnapshotAsync(Index, ct);
            at = Report.Timed("server", at);
            if (remote.LastChangedKeys is { } changed)
            {
                _remoteChanged = changed;
                Remote = snapshot;
            }
            else
            {
                Scope = null;
            }
        }

        // A full pass reads the index and the server's tree (a request, the stored tree, its ignore verdicts) on other
        // threads while this one walks the folder: none waits for another. An incremental pass takes the index's
        // entries of what it reads (Scan), not a copy of all of it.
        var fullIndex = Scope is null ? Task.Run(Index.LoadAll, ct) : null;
        var fullSnapshot = Scope is null
            ? Task.Run(async () => SyncPlanner.Visible(snapshot ?? await remote.GetSnapshotAsync(Index, ct), Ignore), ct)
            : null;
        try
        {
            Local = Scan();
            at = Report.Timed("scan", at);
            if (fullIndex is not null)
            {
                Indexed = await fullIndex;
                at = Report.Timed("index", at);
            }

            foreach (var gone in LocalOnly.Keys.Where(k => (Focus is null || Focus.Contains(k)) && !Local.ContainsKey(k)).ToList())
            {
                Index.RemoveLocalOnly(gone);
                LocalOnly.Remove(gone);
            }

            // An incremental pass read only part of the folder: whether it was emptied is told by its top level.
            var emptied = Focus is not null && !Directory.EnumerateFileSystemEntries(Root).Any(e => Path.GetFileName(e) != LocalIndex.StateFolder);
            if (Focus is null || emptied)
            {
                DeletionGuard.CheckNotEmptied(Root, Index.FileCount(), Local, Options);
            }
        }
        catch when (fullSnapshot is not null)
        {
            // The index must not be closed under the readers: wait for them, whatever they answer.
            await Task.WhenAll(fullSnapshot, fullIndex!).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }

        at = Report.Timed("guards", at);
        if (fullSnapshot is not null)
        {
            Remote = await fullSnapshot;
            at = Report.Timed("server", at);
        }

        Server = await config;
        at = Report.Timed("config", at);
        if (await Clashes.ResolveFolderCaseRenamesAsync(ct) | Clashes.ResolveCaseClashes() | Clashes.ResolveKindClashes())
        {
            Local = Scan();
        }

        Report.Timed("clashes", at);
    }

    public SyncPlan Plan() => SyncPlanner.Plan(PlannerInput());

    /// <summary>What the planner gets: everything, or in an incremental pass only the keys it covers on all three sides.</summary>
    public PlannerInput PlannerInput()
    {
        if (Focus is null)
        {
            return new PlannerInput(Local, Indexed, Remote, LocalOnly, Options.Direction);
        }

        return new PlannerInput(Local, SyncPlanner.Only(Indexed, Focus), SyncPlanner.Visible(SyncPlanner.Only(Remote, Focus), Ignore), LocalOnly, Options.Direction);
    }

    /// <summary>Runs a plan; answers whether a second pass is needed.</summary>
    public async Task<bool> ExecuteAsync(SyncPlan plan, DeletionWindow? window, CancellationToken ct)
    {
        var indexedFiles = Index.FileCount();
        DeletionGuard.CheckMassDeletion(Root, plan, indexedFiles, Options, window);
        var deletedBefore = Report.DeletedLocal + Report.DeletedRemote;
        plan.Records.ForEach(r => Index.Put(r.Entry));
        plan.Forgets.ForEach(f => Index.Remove(f.Entry.Key));
        plan.LocalRenames.ForEach(r => Moves.RenameLocalForRemoteCase(r.Item, r.Remote));
        var uploads = plan.Uploads.ToList();
        foreach (var move in plan.MovesRemoteFolders)
        {
            await Moves.MoveRemoteFolderAsync(move, uploads, ct);
        }

        foreach (var move in plan.MovesRemote)
        {
            await Moves.MoveRemoteAsync(move.From, move.To, uploads, ct);
        }

        plan.MovesLocalFolders.ForEach(Moves.MoveLocalFolder);
        plan.MovesLocal.ForEach(m => Moves.MoveLocal(m.From, m.To));

        _progressTotal = uploads.Sum(u => u.Item.Size) + plan.Downloads.Sum(d => d.Remote.Size ?? 0);
        ReportProgress(null);
        // Each action with what it is about, so an error names it.
        var actions = Uploads.Actions(uploads);
        actions.AddRange(BatchDownloads.Actions(plan.Downloads));
        actions.AddRange(plan.DeleteRemoteTrees.Select(f => (f.Folder.Path.TrimStart('/'), (Func<CancellationToken, Task>)(c => Deletes.DeleteRemoteFolderAsync(f.Folder, f.Files, c)))));
        actions.AddRange(plan.DeleteRemote.Select(d => (d.Remote.Path.TrimStart('/'), (Func<CancellationToken, Task>)(c => Deletes.DeleteRemoteAsync(d.Remote, c)))));
        actions.AddRange(plan.DeleteLocal.Select(d => (d.Entry.Path.TrimStart('/'), (Func<CancellationToken, Task>)(_ => Deletes.DeleteLocal(d.Entry)))));
        await Parallel.ForEachAsync(actions, new ParallelOptions { MaxDegreeOfParallelism = Options.Parallelism, CancellationToken = ct }, async (action, c) =>
        {
            try
            {
                await action.Run(c);
            }
            catch (DropSyncApiException e) when (e.Status == HttpStatusCode.Unauthorized)
            {
                throw;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                RecordError(action.What, e);
            }
        });

        await Folders.RunAsync(plan.Folders, ct);
        window?.Record(indexedFiles, Report.DeletedLocal + Report.DeletedRemote - deletedBefore);
        return Again;
    }

    public void ReportProgress(string? path) => Options.Progress?.Report(new TransferProgress(Interlocked.Read(ref _progressDone), _progressTotal, path));

    public void Advance(long bytes, string? path)
    {
        Interlocked.Add(ref _progressDone, bytes);
        ReportProgress(path);
    }

    public Dictionary<string, LocalItem> Scan()
    {
        CaseClashes.Clear();
        void Skipped(string rel, Core.Errors.DropSyncException e) => Options.Log?.Invoke($"skipped {rel}: {e.Message}");
        void Clash(string rel, bool isDir) => CaseClashes.Add((rel, isDir));

        if (Scope is not null)
        {
            var focused = FocusedScan.Run(Root, Ignore, Scope.Paths, _remoteChanged, Index, Remote, Skipped, Clash);
            Focus = focused.Focus;
            Indexed = Index.Load(Focus);
            Report.Scanned(focused.Scanned, full: false);
            return focused.Local;
        }

        // Two local names that differ only by case are one name on the server. Renamed apart once the server's tree
        // is known (a "(case conflict)" name must not take a name the server has), then scanned again.
        var all = LocalScan.Scan(Root, Ignore, Skipped, Clash);
        Report.Scanned(all.Count, full: true);
        return all;
    }

    public string Full(string rel) => Path.Combine(Root, rel.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>Where a server path lives locally: below existing local folders matched by key, whatever their case.</summary>
    public string LocalRelFor(string remotePath)
    {
        var parts = remotePath.Trim('/').Split('/');
        var rel = "";
        for (var i = 0; i < parts.Length; i++)
        {
            var candidate = rel.Length == 0 ? parts[i] : rel + "/" + parts[i];
            if (i < parts.Length - 1 && Local.TryGetValue(SyncEngine.KeyOf("/" + candidate), out var dir) && dir.IsDir)
            {
                candidate = dir.Rel;
            }

            rel = candidate;
        }

        return rel;
    }

    /// <summary>
    /// Records a failure once, naming what it was about. Only in the report: also logging it as it happened listed
    /// every error twice in the command's output.
    /// </summary>
    public void RecordError(string what, Exception e) => Report.Error($"{what}: {e.Message}");
}
