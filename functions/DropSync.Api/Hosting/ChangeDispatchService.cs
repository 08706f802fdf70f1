using DropSync.Core.Feed;
using DropSync.Core.Model;
using DropSync.Embedded;

namespace DropSync.Api.Hosting;

/// <summary>Drains the in-process change bus into the fan-out, in journal order per namespace.</summary>
internal sealed partial class ChangeDispatchService(InProcessChangeBus bus, OrderedDispatcher dispatcher, ILogger<ChangeDispatchService> logger) : BackgroundService
{
    /// <summary>At most this many changes are taken off the bus together and share the fan-out's reads.</summary>
    private const int MaxChangesTogether = 1000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var changes = new List<ChangeRecord>(MaxChangesTogether);
        while (await bus.Reader.WaitToReadAsync(stoppingToken))
        {
            // Whatever is queued goes together (a batch upload publishes its commits at once): the fan-out then reads the
            // actor and the namespace's shares once for them, not once a change.
            changes.Clear();
            while (changes.Count < MaxChangesTogether && bus.Reader.TryRead(out var change))
            {
                changes.Add(change);
            }

            // Devices still get a change whose fan-out failed from the journal by cursor.
            await dispatcher.HandleAsync(changes, (change, e) => LogFailed(e, change.NamespaceId, change.Sequence), stoppingToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Fan-out of change {NamespaceId}#{Sequence} failed; devices will find it by cursor")]
    private partial void LogFailed(Exception error, string namespaceId, long sequence);
}
