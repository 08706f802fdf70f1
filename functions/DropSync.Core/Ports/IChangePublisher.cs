using DropSync.Core.Model;

namespace DropSync.Core.Ports;

/// <summary>
/// Receives journal entries after their commit (embedded: an in-process queue; AWS: SQS). Must not block or fail a commit:
/// a change that is never published is still in the journal, where devices find it through their cursor.
/// </summary>
public interface IChangePublisher
{
    ValueTask PublishAsync(IReadOnlyList<ChangeRecord> changes, CancellationToken cancellationToken);
}
