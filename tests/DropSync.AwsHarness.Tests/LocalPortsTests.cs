using DropSync.Testing;

namespace DropSync.AwsHarness.Tests;

/// <summary>The ports the harness's servers (proxies, emulators, functions) are given before they listen.</summary>
public sealed class LocalPortsTests
{
    [Fact]
    public void A_port_is_never_handed_out_twice_in_one_process_though_the_OS_offers_closed_ports_again()
    {
        // 2,000 picks from Linux's ~28,000 ephemeral ports: drawn freely, dozens would repeat.
        var ports = Enumerable.Range(0, 2_000).Select(_ => LocalPorts.Free()).ToList();
        Assert.Equal(ports.Count, ports.Distinct().Count());
        Assert.All(ports, port => Assert.InRange(port, 1, 65_535));
    }
}
