using DropSync.Api.Hosting;
using DropSync.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DropSync.Api.Tests;

/// <summary>What bounds the server's memory outside the GC heap (issue 12: peak RSS during transfers).</summary>
public sealed class NativeMemoryTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    [Fact]
    public void On_glibc_the_native_heap_is_trimmed_in_the_background_and_the_mmap_and_trim_thresholds_are_pinned()
    {
        var glibc = OperatingSystem.IsLinux() && (File.Exists("/lib/x86_64-linux-gnu/libc.so.6") || File.Exists("/lib/aarch64-linux-gnu/libc.so.6"));

        Assert.Equal(glibc, NativeHeapTrim.Available);
        Assert.Equal(glibc, NativeHeapTrim.PinThresholds());
        Assert.Equal(glibc, factory.Services.GetServices<IHostedService>().OfType<NativeHeapTrim>().Any());
    }

    [Fact]
    public void Kestrel_reads_at_most_256_KiB_of_a_request_ahead_of_the_app()
    {
        Assert.Equal(256 * 1024, factory.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.MaxRequestBufferSize);
        Assert.Equal(256 * 1024, factory.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value.MaxReadBufferSize);
    }
}
