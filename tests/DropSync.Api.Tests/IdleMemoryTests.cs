using DropSync.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DropSync.Api.Tests;

/// <summary>What an idle server does not load at start-up (issue 12: idle RSS).</summary>
public sealed class IdleMemoryTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    [Fact]
    public void The_data_protection_key_ring_is_not_loaded_at_start_up_but_data_protection_stays_available()
    {
        var hostedServices = factory.Services.GetServices<IHostedService>().Select(s => s.GetType().FullName).ToList();

        Assert.NotEmpty(hostedServices);
        Assert.DoesNotContain("Microsoft.AspNetCore.DataProtection.Internal.DataProtectionHostedService", hostedServices);
        Assert.NotNull(factory.Services.GetService<IDataProtectionProvider>());
    }
}
