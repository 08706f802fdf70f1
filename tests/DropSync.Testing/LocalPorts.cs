using System.Net;
using System.Net.Sockets;

namespace DropSync.Testing;

/// <summary>Ports for servers started on loopback.</summary>
public static class LocalPorts
{
    // Linux may give a port just closed to the very next bind to port 0 (here, 12 picks in a row held a repeat in about
    // 1 of 300 tries), and a caller that picks several ports before it listens on any would then route two servers
    // through one listener: the AWS harness's recording proxies once attributed the http function's SQS sends to another
    // function's S3 proxy that way. So a port is handed out at most once per process.
    private static readonly HashSet<int> HandedOut = [];

    /// <summary>A port free right now on 127.0.0.1 (the OS picks it), never one this process was handed before.</summary>
    public static int Free()
    {
        for (var attempt = 0; attempt < 1_000; attempt++)
        {
            int port;
            using (var listener = new TcpListener(IPAddress.Loopback, 0))
            {
                listener.Start();
                port = ((IPEndPoint)listener.LocalEndpoint).Port;
            }

            lock (HandedOut)
            {
                if (HandedOut.Add(port))
                {
                    return port;
                }
            }
        }

        throw new InvalidOperationException("The OS kept offering ports this process was handed before.");
    }
}
