namespace DropSync.Core.Model;

/// <summary>Something a user is told about: a file edited, deleted or shared by someone else.</summary>
public sealed record Notification
{
    public required string NotificationId { get; init; }

    public required string UserId { get; init; }

    /// <summary>"edited", "deleted", "joined" (someone accepted an invitation), "unshared", "invited".</summary>
    public required string Kind { get; init; }

    /// <summary>The path as this user sees it.</summary>
    public required string Path { get; init; }

    public required string ActorEmail { get; init; }

    public required string ActorDeviceId { get; init; }

    public required DateTimeOffset Time { get; init; }

    public bool Read { get; init; }
}
