namespace DropSync.Api.Hosting;

/// <summary>What the server need not load at start-up, so that an idle server holds less memory (issue 12).</summary>
internal static class IdleMemory
{
    private const string DataProtectionWarmUp = "Microsoft.AspNetCore.DataProtection.Internal.DataProtectionHostedService";

    /// <summary>
    /// <c>AddAuthentication</c> registers ASP.NET's data protection and a hosted service that loads (on a first start,
    /// creates and writes) its XML key ring at start-up, only to have it ready. DropSync's bearer tokens never use data
    /// protection, and nothing else here does, so the warm-up only loaded System.Private.Xml and its JIT-compiled code
    /// (about 4 MiB of an idle server's RSS). Without it the key ring is still loaded on first use, if anything ever uses it.
    /// </summary>
    public static IServiceCollection WithoutDataProtectionWarmUp(this IServiceCollection services)
    {
        for (var i = services.Count - 1; i >= 0; i--)
        {
            if (services[i].ServiceType == typeof(IHostedService) && services[i].ImplementationType?.FullName == DataProtectionWarmUp)
            {
                services.RemoveAt(i);
            }
        }

        return services;
    }
}
