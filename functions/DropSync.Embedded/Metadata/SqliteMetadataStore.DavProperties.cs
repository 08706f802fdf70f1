using DropSync.Core.Ports;

namespace DropSync.Embedded.Metadata;

/// <summary>WebDAV dead properties (<see cref="IDeadPropertyStore"/>).</summary>
public sealed partial class SqliteMetadataStore : IDeadPropertyStore
{
    // Below a key: keys from key + "/" up to (not including) key + "0", "0" being the character after "/".
    private const string AtOrBelow = "ns = $ns AND (path_key = $key OR (path_key >= $key || '/' AND path_key < $key || '0'))";

    public Task<IReadOnlyList<DeadProperty>> GetPropertiesAsync(string ns, string pathKey, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<DeadProperty>>(
            async (transaction, ct) =>
            {
                using var command = transaction.Command(
                    "SELECT prop_ns, name, xml FROM dav_properties WHERE ns = $ns AND path_key = $key ORDER BY prop_ns, name;", ("$ns", ns), ("$key", pathKey));
                return await command.ReadAllAsync(r => new DeadProperty(r.GetString(0), r.GetString(1), r.GetString(2)), ct);
            },
            cancellationToken);

    public Task UpdateAsync(string ns, string pathKey, IReadOnlyList<DeadProperty> set, IReadOnlyList<(string Namespace, string Name)> remove, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(remove);
        return WriteAsync(
            async (transaction, ct) =>
            {
                foreach (var (propNs, name) in remove)
                {
                    using var delete = transaction.Command(
                        "DELETE FROM dav_properties WHERE ns = $ns AND path_key = $key AND prop_ns = $pns AND name = $name;",
                        ("$ns", ns), ("$key", pathKey), ("$pns", propNs), ("$name", name));
                    await delete.ExecuteNonQueryAsync(ct);
                }

                foreach (var property in set)
                {
                    using var upsert = transaction.Command(
                        "INSERT INTO dav_properties (ns, path_key, prop_ns, name, xml) VALUES ($ns, $key, $pns, $name, $xml) ON CONFLICT DO UPDATE SET xml = excluded.xml;",
                        ("$ns", ns), ("$key", pathKey), ("$pns", property.Namespace), ("$name", property.Name), ("$xml", property.Xml));
                    await upsert.ExecuteNonQueryAsync(ct);
                }

                return 0;
            },
            cancellationToken);
    }

    public Task CopySubtreeAsync(string fromNs, string fromKey, string toNs, string toKey, CancellationToken cancellationToken) =>
        WriteAsync(
            async (transaction, ct) =>
            {
                using (var clear = transaction.Command($"DELETE FROM dav_properties WHERE {AtOrBelow};", ("$ns", toNs), ("$key", toKey)))
                {
                    await clear.ExecuteNonQueryAsync(ct);
                }

                using var copy = transaction.Command(
                    $"INSERT INTO dav_properties (ns, path_key, prop_ns, name, xml) SELECT $to_ns, $to_key || substr(path_key, length($key) + 1), prop_ns, name, xml FROM dav_properties WHERE {AtOrBelow};",
                    ("$ns", fromNs), ("$key", fromKey), ("$to_ns", toNs), ("$to_key", toKey));
                return await copy.ExecuteNonQueryAsync(ct);
            },
            cancellationToken);

    public Task DeleteSubtreeAsync(string ns, string pathKey, CancellationToken cancellationToken) =>
        WriteAsync(
            async (transaction, ct) =>
            {
                using var command = transaction.Command($"DELETE FROM dav_properties WHERE {AtOrBelow};", ("$ns", ns), ("$key", pathKey));
                return await command.ExecuteNonQueryAsync(ct);
            },
            cancellationToken);
}
