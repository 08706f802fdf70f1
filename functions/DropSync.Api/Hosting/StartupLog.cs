using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace DropSync.Api.Hosting;

/// <summary>
/// One structured line once the server listens: its addresses, its data folder and where its master key comes from, so
/// whoever started it knows what to back up (the two apart) and where to point a browser. The key is never logged,
/// only its id, which the data folder records anyway.
/// </summary>
internal static partial class StartupLog
{
    public static void LogWhereDropSyncRuns(this WebApplication app)
    {
        if (app.Services.GetService<EmbeddedStorage>() is not { } storage)
        {
            // AWS mode: no local data, and Lambda does not listen on an address.
            return;
        }

        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("DropSync");
            LogStarted(logger, addresses is { Count: > 0 } ? string.Join(", ", addresses) : "(no address: in-process host)", storage.DataDirectory, storage.MasterKeySource, storage.MasterKeyId);
        });
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "DropSync listening on {Urls}; data folder {DataDirectory}; master key {MasterKeyId} from {MasterKeySource} (kept apart from the data: back it up separately)")]
    private static partial void LogStarted(ILogger logger, string urls, string dataDirectory, string masterKeySource, string masterKeyId);
}
