using DropSync.Core.Ports;

namespace DropSync.Core.Blocks;

/// <summary>
/// A small block sealed but not yet stored, carried by the file commit that references it so that the block, its index
/// record and the commit are one durable write (<see cref="IRecordingBlockStore.PutRecordAndApplyAsync"/>). It holds the
/// block's lock until disposed, as <see cref="BlockService"/> does around any store, so the collector cannot delete the
/// block between the write and the commit. If the commit never reaches the store (an error first), the block is not
/// stored at all; if the commit finds its content already there, <see cref="StoreAloneAsync"/> stores and records it, so
/// the uploader is recorded as a holder just as when the block was stored first.
/// </summary>
public sealed class CarriedBlock(IRecordingBlockStore store, SealedBlock block, IDisposable blockLock) : IDisposable
{
    /// <summary>Whether the block is durably stored (with the first batch it was carried by, or alone).</summary>
    public bool IsStored { get; private set; }

    public SealedBlock Block => block;

    /// <summary>Stores the block and applies <paramref name="writes"/> in one durable write; the block is kept whether or not the batch applies.</summary>
    public async Task<BatchResult> ApplyWithAsync(IReadOnlyList<MetadataWrite> writes, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(IsStored, this);
        var result = await store.PutRecordAndApplyAsync(block, writes, ct);
        IsStored = true;
        return result;
    }

    /// <summary>Stores and records the block on its own (no batch), unless it is stored already.</summary>
    public async Task StoreAloneAsync(CancellationToken ct)
    {
        if (!IsStored)
        {
            await store.PutRecordAndApplyAsync(block, [], ct);
            IsStored = true;
        }
    }

    public void Dispose() => blockLock.Dispose();
}
