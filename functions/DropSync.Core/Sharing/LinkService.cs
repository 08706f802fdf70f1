using DropSync.Core.Accounts;
using DropSync.Core.Errors;
using DropSync.Core.Model;
using DropSync.Core.Paths;
using DropSync.Core.Ports;

namespace DropSync.Core.Sharing;

/// <summary>A link with its token (the URL's; only its hash is stored) and, where known, its creator's e-mail.</summary>
public sealed record CreatedLink(SharedLink Link, string Token, string? CreatorEmail = null);

/// <summary>
/// Shared links: anyone with the URL (and the password, if set) can download the file, or list and download the
/// folder's contents, until the link expires or is revoked. Opening a link resolves to a location whose root is the
/// linked item, so nothing outside it can be reached.
/// </summary>
public sealed class LinkService(
    IFileMetadataStore meta, ISharingStore sharing, IAccountStore accounts, PathResolver resolver, PasswordHasher hasher, LinkTokens tokens, TimeProvider clock,
    PasswordHashingGate hashing, Guarding.FailedAttemptLimiter guesses)
{
    /// <summary>
    /// The links to one item that may be live at once. Each live link moves with its item in the same atomic batch,
    /// so this bounds that batch (a DynamoDB transaction holds at most 100 items; a link costs five).
    /// </summary>
    public const int MaxLiveLinksPerItem = 10;

    /// <summary>Whether a link may still be opened: neither revoked nor expired (both are final).</summary>
    public static bool CanOpen(SharedLink link, DateTimeOffset now) =>
        link.RevokedAt is null && (link.ExpiresAt is not { } expires || expires > now);

    public async Task<CreatedLink> CreateAsync(Caller caller, string? rawPath, DateTimeOffset? expires, string? password, CancellationToken ct)
    {
        var path = DropPath.Parse(rawPath, allowRoot: false);
        var at = (await resolver.ViewAsync(caller, ct)).Resolve(path);

        // A public link publishes the owner's content to anyone: viewers of a shared folder may not do that.
        at.RequireWrite();
        var entry = await meta.GetEntryAsync(at.NamespaceId, at.Inner.Key, ct);
        if (entry is null || entry.IsDeleted)
        {
            throw Errors.Errors.NotFound(ErrorCodes.NotFound, $"Nothing is at \"{path}\".");
        }

        var now = clock.GetUtcNow();
        if (expires is { } e && e <= now)
        {
            throw Errors.Errors.BadRequest(ErrorCodes.InvalidExpiry, "expires must be in the future.");
        }

        if (password is { Length: > 1024 })
        {
            throw Errors.Errors.BadRequest(ErrorCodes.InvalidPassword, "A link password is at most 1024 characters.");
        }

        var live = (await sharing.ListLinksAtOrBelowAsync(at.NamespaceId, entry.PathKey, ct)).Count(l => DropPath.KeyOf(l.Path) == entry.PathKey && CanOpen(l, now));
        if (live >= MaxLiveLinksPerItem)
        {
            throw Errors.Errors.Conflict(
                ErrorCodes.TooManyLinks, $"\"{path}\" already has {live} working links, the most one item may have; revoke one (see /sharing/list_links) or reuse it.");
        }

        var linkId = Ids.New("lnk_");
        var token = tokens.For(linkId);
        var link = new SharedLink
        {
            LinkId = linkId,
            TokenHash = Ids.Sha256Hex(token),
            OwnerUserId = caller.UserId,
            NamespaceId = at.NamespaceId,
            Path = entry.PathDisplay,
            OwnerViewPath = path.Display,
            ExpiresAt = expires,
            PasswordHash = string.IsNullOrEmpty(password) ? null : hasher.Hash(password),
            CreatedAt = now,
        };
        await sharing.CreateLinkAsync(link, ct);

        // A move that read the item's links just before this one was stored leaves it at the old path. After landing,
        // the move looks for such late links (FileService.FollowLateLinksAsync); here, after storing, the creator looks
        // at the item again. One of the two always sees the other: if the item is gone from the path, either the move
        // took the link along, or the link is turned off and the caller told, never left pointing nowhere unnoticed.
        if (await meta.GetEntryAsync(at.NamespaceId, entry.PathKey, ct) is null or { IsDeleted: true })
        {
            if (await sharing.FindLinkByTokenHashAsync(link.TokenHash, ct) is { } followed && (followed.NamespaceId, followed.Path) != (link.NamespaceId, link.Path))
            {
                return new CreatedLink(followed, token);
            }

            await sharing.RevokeLinkAsync(caller.UserId, linkId, clock.GetUtcNow(), ct);
            throw Errors.Errors.Conflict(
                ErrorCodes.PathChanged, $"\"{path}\" was moved or deleted while the link was being made; make the link again where it is now.");
        }

        return new CreatedLink(link, token);
    }

    /// <summary>
    /// The caller's links, each with the path the caller sees it at now. A link into a folder shared with the caller is
    /// shown through the caller's current mount of it (which they may have renamed, and which a move by someone else
    /// does not change); one the caller can no longer see keeps the path it was last known by.
    /// </summary>
    public async Task<IReadOnlyList<CreatedLink>> ListAsync(Caller caller, CancellationToken ct)
    {
        var view = await resolver.ViewAsync(caller, ct);
        return (await sharing.ListLinksAsync(caller.UserId, ct))
            .Select(l => new CreatedLink(l with { OwnerViewPath = ViewPathOf(view, l) }, tokens.For(l.LinkId), caller.Email))
            .ToList();
    }

    /// <summary>
    /// The links to the item at <paramref name="rawPath"/> or below it that the caller answers for, newest first: in the
    /// caller's own folders every link, whoever made it (members of a shared folder included), for the owner decides what
    /// is published of their files; inside a folder shared with the caller only the caller's own.
    /// </summary>
    public async Task<IReadOnlyList<CreatedLink>> ListAtAsync(Caller caller, string rawPath, CancellationToken ct)
    {
        var path = DropPath.Parse(rawPath, allowRoot: true);
        var view = await resolver.ViewAsync(caller, ct);
        var at = view.Resolve(path);
        var links = (await sharing.ListLinksAtOrBelowAsync(at.NamespaceId, at.Inner.Key, ct))
            .Where(l => at.Membership is null || l.OwnerUserId == caller.UserId)
            .OrderByDescending(l => l.CreatedAt)
            .ThenByDescending(l => l.LinkId, StringComparer.Ordinal)
            .ToList();
        var creators = new Dictionary<string, string>(StringComparer.Ordinal) { [caller.UserId] = caller.Email };
        var result = new List<CreatedLink>(links.Count);
        foreach (var link in links)
        {
            if (!creators.TryGetValue(link.OwnerUserId, out var email))
            {
                email = (await accounts.GetAccountAsync(link.OwnerUserId, ct))?.Email ?? "";
                creators[link.OwnerUserId] = email;
            }

            result.Add(new CreatedLink(link with { OwnerViewPath = at.ToView(link.Path) ?? link.OwnerViewPath }, tokens.For(link.LinkId), email));
        }

        return result;
    }

    private static string ViewPathOf(UserView view, SharedLink link)
    {
        if (link.NamespaceId == view.Caller.RootNamespaceId)
        {
            return link.Path;
        }

        var path = DropPath.Parse(link.Path, allowRoot: false);
        var place = view.Places().Skip(1).FirstOrDefault(p => p.NamespaceId == link.NamespaceId && p.InnerRoot.Contains(path));
        return place?.ToView(link.Path) ?? link.OwnerViewPath;
    }

    /// <summary>
    /// Revokes one of the caller's links, or any link into the caller's own namespace (the owner of a shared folder
    /// answers for the links its members make).
    /// </summary>
    public async Task RevokeAsync(Caller caller, string? linkId, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(linkId) || linkId.Length > 100)
        {
            throw LinkNotFoundForRevoke();
        }

        if (await sharing.RevokeLinkAsync(caller.UserId, linkId, clock.GetUtcNow(), ct))
        {
            return;
        }

        // A token is derived from its link's id, so the link is found by its token's hash without another index.
        var link = await sharing.FindLinkByTokenHashAsync(Ids.Sha256Hex(tokens.For(linkId)), ct);
        if (link is null || link.LinkId != linkId || link.NamespaceId != caller.RootNamespaceId ||
            !await sharing.RevokeLinkAsync(link.OwnerUserId, linkId, clock.GetUtcNow(), ct))
        {
            throw LinkNotFoundForRevoke();
        }
    }

    private static DropSyncException LinkNotFoundForRevoke() =>
        Errors.Errors.NotFound(ErrorCodes.LinkNotFound, "You have no link with that link_id; list them with /sharing/list_links.");

    /// <summary>
    /// Whether a member's link still speaks for its creator: they are still a member of a share containing the item,
    /// and an editor (a viewer may not publish, so a demotion turns their links off; a promotion turns them on again).
    /// Checked each time the link is opened: one read of the creator's memberships, no sweep to forget.
    /// </summary>
    private async Task<bool> CreatorStillPublishesAsync(SharedLink link, DropPath root, CancellationToken ct) =>
        (await sharing.ListMembershipsAsync(link.OwnerUserId, ct))
        .Any(m => m.Member.Role == ShareRole.Editor && m.Share.NamespaceId == link.NamespaceId && DropPath.Parse(m.Share.FolderPath, allowRoot: false).Contains(root));

    /// <summary>Opens a link for an anonymous visitor: checks revocation, expiry and password, and answers its location.</summary>
    public async Task<(SharedLink Link, Location Root, FileEntry Entry)> OpenAsync(string? token, string? password, CancellationToken ct)
    {
        var link = string.IsNullOrEmpty(token) || token.Length > 100 ? null : await sharing.FindLinkByTokenHashAsync(Ids.Sha256Hex(token), ct);
        if (link is null)
        {
            throw Errors.Errors.NotFound(ErrorCodes.LinkNotFound, "This link does not exist; check the address.");
        }

        if (link.RevokedAt is not null)
        {
            throw Errors.Errors.Gone(ErrorCodes.LinkRevoked, "This link was turned off by its owner.");
        }

        if (link.ExpiresAt is { } expires && expires <= clock.GetUtcNow())
        {
            throw Errors.Errors.Gone(ErrorCodes.LinkExpired, "This link has expired; ask its owner for a new one.");
        }

        // Wrong passwords are counted per link; past the limit the link refuses every password for the rest of the window.
        var guessKey = "link:" + link.LinkId;
        if (link.PasswordHash is not null && !string.IsNullOrEmpty(password) && guesses.LockedFor(guessKey, guesses.Options.LinkPasswordFailuresPerLink) is { } wait)
        {
            throw RetryAfter.TooManyRequests("Too many wrong passwords for this link; wait before trying again.", wait);
        }

        if (link.PasswordHash is not null && (string.IsNullOrEmpty(password) || !await hashing.RunAsync(() => hasher.Verify(password, link.PasswordHash), ct)))
        {
            if (!string.IsNullOrEmpty(password))
            {
                guesses.RecordFailure(guessKey);
            }

            throw string.IsNullOrEmpty(password)
                ? new DropSyncException(
                    ErrorKind.Unauthorized, ErrorCodes.LinkPasswordRequired, "This link needs a password; send it in the DropSync-Link-Password header.")
                : new DropSyncException(
                    ErrorKind.Unauthorized, ErrorCodes.WrongLinkPassword, "The password for this link is wrong; check it with the person who shared the link.");
        }

        var root = DropPath.Parse(link.Path, allowRoot: false);
        if (link.NamespaceId != Namespaces.RootOf(link.OwnerUserId) && !await CreatorStillPublishesAsync(link, root, ct))
        {
            // Made by a member of a shared folder who has since lost access to it, or edit rights: the link ends with them.
            throw Errors.Errors.Gone(ErrorCodes.LinkRevoked, "This link was turned off: its creator no longer has access to what it points to, or may no longer share it.");
        }

        var entry = await meta.GetEntryAsync(link.NamespaceId, root.Key, ct);
        if (entry is null || entry.IsDeleted)
        {
            throw Errors.Errors.NotFound(ErrorCodes.NotFound, "What this link pointed to has been deleted.");
        }

        // The visitor sees the linked item as "/<name>": nothing above it is reachable or named.
        var location = new Location(link.NamespaceId, root, DropPath.Root.Child(root.Name), root, Access.Viewer, null);
        return (link, location, entry);
    }
}
