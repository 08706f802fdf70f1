namespace DropSync.Aws.DynamoDb;

/// <summary>When the maintenance run raises a namespace's shard count on its own (docs/architecture.md, "Hot partitions").</summary>
public sealed record HotNamespaceOptions
{
    /// <summary>
    /// Retried commit attempts in the last hour and the current one (<see cref="DynamoDbContentionLog"/>) from which a
    /// namespace is raised. 100 by default: the benchmark's two committers on one namespace retry about once per 20
    /// commits, so 100 retries an hour means sustained concurrent writers (thousands of commits, or a throttled
    /// partition), while a user's own devices colliding now and then stay far below it. 0 turns the trigger off.
    /// </summary>
    public int RetriesThreshold { get; init; } = 100;

    /// <summary>
    /// Namespaces raised per run, at most (2): a raise freezes the namespace's commits for the settle time (10 s) and
    /// the copy of its entries, so a run stays well inside the function's 15 minutes; the hottest go first.
    /// </summary>
    public int MaxRaisesPerRun { get; init; } = 2;

    /// <summary>Each raise multiplies S by this (4: 1 → 4 → 16 → 64), capped at <see cref="DynamoDbFileMetadataStore.MaxShards"/>.</summary>
    public int Factor { get; init; } = 4;
}

/// <summary>What one pass of <see cref="HotNamespaceRaiser"/> did: each namespace raised, from and to which S.</summary>
public sealed record HotNamespaceReport(IReadOnlyList<(string NamespaceId, long Retries, int From, int To)> Raised, int OverThreshold);

/// <summary>
/// The maintenance run's automatic trigger: reads the contention counters, and for the namespaces over
/// <see cref="HotNamespaceOptions.RetriesThreshold"/> (hottest first, at most <see cref="HotNamespaceOptions.MaxRaisesPerRun"/>)
/// raises the shard count by <see cref="HotNamespaceOptions.Factor"/>, then forgets their counters. Idempotent: raising
/// only grows S (a namespace already at the target is left alone), and a namespace whose counters were forgotten is not
/// raised again until its commits collide again at the new S. A namespace at <see cref="DynamoDbFileMetadataStore.MaxShards"/>
/// is skipped (the throttle alarms remain).
/// </summary>
public sealed class HotNamespaceRaiser(DynamoDbFileMetadataStore store, DynamoDbContentionLog contention, HotNamespaceOptions options, TimeProvider clock)
{
    /// <summary>How long a raise waits between freezing and switching (null: the store's safe default).</summary>
    public TimeSpan? Settle { get; init; }

    public async Task<HotNamespaceReport> RunOnceAsync(CancellationToken cancellationToken)
    {
        if (options.RetriesThreshold <= 0)
        {
            return new HotNamespaceReport([], 0);
        }

        var counts = await contention.ReadAsync(clock.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        var hot = counts.Where(c => c.Retries >= options.RetriesThreshold).ToList();
        var raised = new List<(string, long, int, int)>();
        foreach (var (ns, retries) in hot)
        {
            if (raised.Count >= options.MaxRaisesPerRun)
            {
                break;
            }

            // A raise that stopped part-way (its run timed out) is finished at its own target first.
            var layout = await store.GetShardLayoutAsync(ns, cancellationToken).ConfigureAwait(false);
            var from = layout.Count;
            var to = layout.Migrating ?? Math.Min(DynamoDbFileMetadataStore.MaxShards, from * Math.Max(2, options.Factor));
            if (to > from)
            {
                to = await store.RaiseShardCountAsync(ns, to, Settle, cancellationToken).ConfigureAwait(false);
                raised.Add((ns, retries, from, to));
            }

            await contention.ForgetAsync(ns, cancellationToken).ConfigureAwait(false);
        }

        return new HotNamespaceReport(raised, hot.Count);
    }
}
