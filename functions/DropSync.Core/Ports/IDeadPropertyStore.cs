namespace DropSync.Core.Ports;

/// <summary>A WebDAV dead property: a client's own XML element kept on a file or folder (RFC 4918 §4).</summary>
/// <param name="Namespace">The property element's namespace URI ("" for none).</param>
/// <param name="Name">Its local name.</param>
/// <param name="Xml">The whole element as XML text, namespace declarations included.</param>
public sealed record DeadProperty(string Namespace, string Name, string Xml);

/// <summary>
/// Dead properties of entries, by namespace and path key. Contract: <see cref="UpdateAsync"/> applies all its changes
/// or none; the subtree operations act on the entry at the key and everything below it.
/// </summary>
public interface IDeadPropertyStore
{
    Task<IReadOnlyList<DeadProperty>> GetPropertiesAsync(string ns, string pathKey, CancellationToken cancellationToken);

    /// <summary>Sets (replacing one of the same name) and removes properties of one entry, atomically.</summary>
    Task UpdateAsync(string ns, string pathKey, IReadOnlyList<DeadProperty> set, IReadOnlyList<(string Namespace, string Name)> remove, CancellationToken cancellationToken);

    /// <summary>Copies the properties of an entry and everything below it to another place (replacing what is there).</summary>
    Task CopySubtreeAsync(string fromNs, string fromKey, string toNs, string toKey, CancellationToken cancellationToken);

    /// <summary>Forgets the properties of an entry and everything below it.</summary>
    Task DeleteSubtreeAsync(string ns, string pathKey, CancellationToken cancellationToken);
}
