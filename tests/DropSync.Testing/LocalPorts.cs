using System.Net;
using System.Net.Sockets;

namespace DropSync.Testing;

/// <summary>Ports for servers started on loopback.</summary>
public static class LocalPorts
{
    /// <summary>A port free right now on 127.0.0.1 (the OS picks it).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
