namespace DropSync.Core.Ports;

/// <summary>A message for a user's connected devices: a change event or a notification, as JSON-ready data.</summary>
public sealed record PushMessage(string Type, IReadOnlyDictionary<string, object?> Body, string? OriginDeviceId);

/// <summary>
/// Delivers messages to a user's live device connections (embedded: WebSockets held by this process; AWS: API Gateway
/// @connections). Delivery is best effort: a device that misses a message catches up from the journal by its cursor.
/// A message is not sent to the device it came from (<see cref="PushMessage.OriginDeviceId"/>) unless that device asked
/// for echoes.
/// </summary>
public interface IPushGateway
{
    Task PushAsync(string userId, PushMessage message, CancellationToken cancellationToken);

    /// <summary>
    /// False when no message for <paramref name="userId"/> could be delivered now (none of their devices is connected to
    /// this process), so the fan-out need not build one. A device that connects a moment later catches up by its cursor,
    /// as after any missed message. Gateways that cannot tell cheaply answer true.
    /// </summary>
    bool MayDeliverTo(string userId) => true;
}
