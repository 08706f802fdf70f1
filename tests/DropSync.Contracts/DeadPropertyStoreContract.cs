using DropSync.Core.Ports;
using Xunit;

namespace DropSync.Contracts;

/// <summary>The behaviour every <see cref="IDeadPropertyStore"/> adapter must have: atomic updates, subtree copy and delete.</summary>
public abstract class DeadPropertyStoreContract
{
    private static readonly CancellationToken None = CancellationToken.None;

    protected abstract Task<IDeadPropertyStore> CreateStoreAsync();

    private static DeadProperty Prop(string name, string value) => new("urn:x", name, $"<x:{name} xmlns:x=\"urn:x\">{value}</x:{name}>");

    [Fact]
    public async Task Properties_are_set_replaced_removed_and_follow_copies_and_deletes_of_a_subtree()
    {
        var store = await CreateStoreAsync();
        await store.UpdateAsync("ns1", "/docs", [Prop("a", "1"), Prop("b", "2")], [], None);
        await store.UpdateAsync("ns1", "/docs/ü.txt", [Prop("a", "child")], [], None);
        await store.UpdateAsync("ns1", "/docs2", [Prop("a", "sibling")], [], None);
        await store.UpdateAsync("ns1", "/docs", [Prop("a", "one")], [("urn:x", "b")], None);
        Assert.Equal([Prop("a", "one")], await store.GetPropertiesAsync("ns1", "/docs", None));

        await store.CopySubtreeAsync("ns1", "/docs", "ns2", "/copy", None);
        Assert.Equal([Prop("a", "one")], await store.GetPropertiesAsync("ns2", "/copy", None));
        Assert.Equal([Prop("a", "child")], await store.GetPropertiesAsync("ns2", "/copy/ü.txt", None));
        Assert.Empty(await store.GetPropertiesAsync("ns2", "/copy2", None));

        await store.DeleteSubtreeAsync("ns1", "/docs", None);
        Assert.Empty(await store.GetPropertiesAsync("ns1", "/docs", None));
        Assert.Empty(await store.GetPropertiesAsync("ns1", "/docs/ü.txt", None));
        Assert.Equal([Prop("a", "sibling")], await store.GetPropertiesAsync("ns1", "/docs2", None));
    }
}
