using DropSync.Core.Feed;
using DropSync.Embedded;

namespace DropSync.Api.Hosting;

/// <summary>Drains the in-process change bus into the fan-out, in journal order per namespace.</summary>
internal sealed partial class ChangeDispatchService(InProcessChangeBus bus, OrderedDispatcher dispatcher, ILogger<ChangeDispatchService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var change in bus.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await dispatcher.HandleAsync(change, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Devices still get the change from the journal by cursor.
                LogFailed(e, change.NamespaceId, change.Sequence);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Fan-out of change {NamespaceId}#{Sequence} failed; devices will find it by cursor")]
    private partial void LogFailed(Exception error, string namespaceId, long sequence);
}
