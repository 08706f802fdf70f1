namespace DropSync.Core.Ports;

/// <summary>
/// Closes a device's live connections at once (embedded: its WebSockets in this process; AWS: API Gateway @connections
/// DELETE, and its connection records, so no later push finds them). Used when a device is revoked or signs out.
/// </summary>
public interface IDeviceConnectionCloser
{
    Task CloseDeviceAsync(string userId, string deviceId, CancellationToken cancellationToken);
}
