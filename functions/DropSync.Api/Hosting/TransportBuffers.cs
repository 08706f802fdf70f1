using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace DropSync.Api.Hosting;

/// <summary>
/// How much of a request body Kestrel reads ahead of the app per connection (issue 12, memory). The default 1 MiB meant
/// that a block upload waiting for the block store's gate held 16 of Kestrel's 64 KiB segments: with four parallel
/// uploads the segment pool filled to its 64 kept (4 MiB). Past this much the socket stops being read and TCP holds the
/// rest (kernel buffers, not the server's heap), so a slow app or a waiting upload pushes back on its client instead.
/// 256 KiB is four segments: the app reads a block in 64 KiB pieces, so the socket is never idle while it does.
/// </summary>
internal static class TransportBuffers
{
    public const long MaxReadAhead = 256 * 1024;

    public static IServiceCollection WithBoundedReadAhead(this IServiceCollection services)
    {
        services.Configure<KestrelServerOptions>(o => o.Limits.MaxRequestBufferSize = MaxReadAhead);
        services.Configure<SocketTransportOptions>(o => o.MaxReadBufferSize = MaxReadAhead);
        return services;
    }
}
