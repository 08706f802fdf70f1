using DropSync.Core.Model;
using DropSync.Core.Ports;

namespace DropSync.Embedded;

/// <summary>
/// Publishes nothing: every change is already in the namespace journal, where devices read it through their cursor.
/// Stands in until the live change feed's in-process fan-out is wired to the change-publisher port.
/// </summary>
public sealed class JournalOnlyChangePublisher : IChangePublisher
{
    public ValueTask PublishAsync(IReadOnlyList<ChangeRecord> changes, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
