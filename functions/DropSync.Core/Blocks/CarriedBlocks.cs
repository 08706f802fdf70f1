using DropSync.Core.Ports;

namespace DropSync.Core.Blocks;

/// <summary>
/// The small blocks of a batch upload, sealed but not yet stored, carried by the batch's file commits so that every
/// block, its index record and every commit are ONE durable write (<see cref="IRecordingBlockStore.PutRecordAndApplyEachAsync"/>)
/// instead of one write per block and one for the commits. The blocks are locked (each lock stripe once, in order: see
/// <see cref="BlockLocks.AcquireAllAsync"/>) only around that write, so the collector can never delete a block between
/// its store and the commit that names it; sealing and planning run unlocked, side by side with other batches' writes.
/// </summary>
public sealed class CarriedBlocks
{
    private readonly IRecordingBlockStore _store;
    private readonly BlockLocks _locks;
    private readonly IReadOnlyList<SealedBlock> _blocks;

    internal CarriedBlocks(IRecordingBlockStore store, BlockLocks locks, IEnumerable<SealedBlock> blocks)
    {
        _store = store;
        _locks = locks;
        // Equal blocks of one batch (two files with the same content) are stored and locked once.
        _blocks = blocks.DistinctBy(b => b.Hash).ToList();
    }

    /// <summary>Whether the blocks are durably stored (with the batches they were carried by, or alone).</summary>
    public bool IsStored { get; private set; }

    /// <summary>How many distinct blocks are carried.</summary>
    public int Count => _blocks.Count;

    /// <summary>
    /// Stores the blocks and applies each of <paramref name="batches"/> (each all-or-nothing, first-wins on its paths) in
    /// one durable write; the blocks are kept whatever becomes of the batches. Only once: later commits go alone.
    /// </summary>
    public async Task<IReadOnlyList<BatchResult>> ApplyEachWithAsync(IReadOnlyList<IReadOnlyList<MetadataWrite>> batches, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(batches);
        if (IsStored)
        {
            throw new InvalidOperationException("These blocks are stored already; commit without them.");
        }

        if (_blocks.Count == 0 && batches.Count == 0)
        {
            IsStored = true;
            return [];
        }

        using (await _locks.AcquireAllAsync(_blocks.Select(b => b.Hash), ct))
        {
            var results = await _store.PutRecordAndApplyEachAsync(_blocks, batches, ct);
            IsStored = true;
            return results;
        }
    }

    /// <summary>Stores and records the blocks on their own (no commit), unless they are stored already.</summary>
    public async Task StoreAloneAsync(CancellationToken ct)
    {
        if (!IsStored)
        {
            await ApplyEachWithAsync([], ct);
        }
    }
}
