using System.Threading.Channels;
using DropSync.Core.Model;
using DropSync.Core.Ports;

namespace DropSync.Embedded;

/// <summary>
/// The embedded change publisher: an unbounded in-process queue the fan-out drains. Publishing never blocks or fails a
/// commit; if the process dies with changes queued, devices still find them in the journal through their cursors.
/// </summary>
public sealed class InProcessChangeBus : IChangePublisher
{
    private readonly Channel<ChangeRecord> _queue = Channel.CreateUnbounded<ChangeRecord>(new UnboundedChannelOptions { SingleReader = true });

    public ChannelReader<ChangeRecord> Reader => _queue.Reader;

    public ValueTask PublishAsync(IReadOnlyList<ChangeRecord> changes, CancellationToken cancellationToken)
    {
        foreach (var change in changes)
        {
            _queue.Writer.TryWrite(change);
        }

        return ValueTask.CompletedTask;
    }
}
