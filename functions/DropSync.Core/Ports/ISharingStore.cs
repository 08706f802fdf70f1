using DropSync.Core.Model;

namespace DropSync.Core.Ports;

/// <summary>
/// Reads of shares and members (they are written through <see cref="IFileMetadataStore.ApplyAsync"/> so that a share
/// and its journal entries land together), plus shared links and notifications.
/// Contract: reads reflect every applied batch; a removed member is never returned.
/// </summary>
public interface ISharingStore
{
    Task<Share?> GetShareAsync(string shareId, CancellationToken cancellationToken);

    /// <summary>Shares whose folder lives in this namespace (the owner's).</summary>
    Task<IReadOnlyList<Share>> ListSharesInNamespaceAsync(string namespaceId, CancellationToken cancellationToken);

    Task<IReadOnlyList<ShareMember>> ListMembersAsync(string shareId, CancellationToken cancellationToken);

    /// <summary>Every share this user is a member of, with the membership.</summary>
    Task<IReadOnlyList<Membership>> ListMembershipsAsync(string userId, CancellationToken cancellationToken);

    Task CreateLinkAsync(SharedLink link, CancellationToken cancellationToken);

    Task<SharedLink?> FindLinkByTokenHashAsync(string tokenHash, CancellationToken cancellationToken);

    Task<IReadOnlyList<SharedLink>> ListLinksAsync(string ownerUserId, CancellationToken cancellationToken);

    /// <summary>
    /// The links (of any owner, revoked ones included) to the item at <paramref name="pathKey"/> in the namespace or to
    /// anything below it, for moving them with it: found by key (so "/Docs" finds "/docs/a.txt" but not "/Docs copy").
    /// Reflects every applied batch.
    /// </summary>
    Task<IReadOnlyList<SharedLink>> ListLinksAtOrBelowAsync(string namespaceId, string pathKey, CancellationToken cancellationToken);

    /// <summary>Revokes one of the owner's links; false if the owner has no such link.</summary>
    Task<bool> RevokeLinkAsync(string ownerUserId, string linkId, DateTimeOffset at, CancellationToken cancellationToken);
}

/// <summary>Notification history with read state. Listing is newest first, paged by notification id.</summary>
public interface INotificationStore
{
    Task AddAsync(IReadOnlyList<Notification> notifications, CancellationToken cancellationToken);

    /// <summary>The user's notifications older than <paramref name="beforeId"/> (null: the newest), newest first.</summary>
    Task<IReadOnlyList<Notification>> ListAsync(string userId, string? beforeId, int limit, CancellationToken cancellationToken);

    Task<int> CountUnreadAsync(string userId, CancellationToken cancellationToken);

    /// <summary>Marks the given notifications read, or all of the user's when <paramref name="ids"/> is null.</summary>
    Task MarkReadAsync(string userId, IReadOnlyCollection<string>? ids, CancellationToken cancellationToken);
}
