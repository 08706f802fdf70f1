using DropSync.Core.Accounts;
using DropSync.Core.Files;
using DropSync.Core.Model;
using DropSync.Core.Paths;
using DropSync.Core.Ports;

namespace DropSync.Core.Sharing;

/// <summary>A member as listed: who, with which role.</summary>
public sealed record MemberInfo(string Email, string Role, bool IsOwner);

/// <summary>A folder shared with the caller, where it is mounted, and by whom.</summary>
public sealed record SharedWithMe(string ShareId, string Path, string OwnerEmail, string Role)
{
    /// <summary>Where the share sits in the user's tree, as a comparison key (see <see cref="Files.FileMetadata.PathLower"/>).</summary>
    public string PathLower => Paths.DropPath.KeyOf(Path);
}

/// <summary>
/// Sharing folders with people. The owner adds members by e-mail; each member sees the folder at the top of their tree.
/// Removing a member ends their access at once (every request resolves paths through current memberships).
/// </summary>
public sealed class SharingService(IFileMetadataStore meta, ISharingStore sharing, IAccountStore accounts, PathResolver resolver, IChangePublisher publisher, TimeProvider clock)
{
    private const int MaxMountAttempts = 100;

    public async Task<MemberInfo> AddMemberAsync(Caller caller, string? rawPath, string? email, string? role, CancellationToken ct)
    {
        var (view, folder) = await OwnFolderAsync(caller, rawPath, ct);
        var parsedRole = ParseRole(role);
        var invitee = await accounts.FindAccountByEmailAsync(AccountService.NormalizeEmail(email), ct)
            ?? throw Errors.Errors.NotFound(Errors.ErrorCodes.UserNotFound, "No DropSync account has that e-mail; ask them to sign up first.");
        if (invitee.UserId == caller.UserId)
        {
            throw Errors.Errors.BadRequest(Errors.ErrorCodes.CannotShareWithSelf, "You already own this folder.");
        }

        var shares = await sharing.ListSharesInNamespaceAsync(caller.RootNamespaceId, ct);
        var share = shares.FirstOrDefault(s => s.FolderKey == folder.PathKey);
        if (share is null && shares.Any(s => DropPath.Parse(s.FolderPath, false).Contains(DropPath.Parse(folder.PathDisplay, false)) || DropPath.Parse(folder.PathDisplay, false).Contains(DropPath.Parse(s.FolderPath, false))))
        {
            throw Errors.Errors.Conflict(Errors.ErrorCodes.NestedShare, "A folder inside a shared folder, or containing one, cannot be shared on its own; share the outer folder.");
        }

        var now = clock.GetUtcNow();
        var isNew = share is null;
        share ??= new Share { ShareId = Ids.New("sh_"), OwnerUserId = caller.UserId, NamespaceId = caller.RootNamespaceId, FolderPath = folder.PathDisplay, CreatedAt = now };
        var existing = (await sharing.ListMembersAsync(share.ShareId, ct)).FirstOrDefault(m => m.UserId == invitee.UserId);
        if (existing is not null)
        {
            // Already a member: only the role changes.
            await ApplyAsync([new MetadataWrite.PutMember(existing with { Role = parsedRole })], ct);
            return new MemberInfo(invitee.Email, RoleName(parsedRole), false);
        }

        var inviteeView = new UserView(caller with { UserId = invitee.UserId, RootNamespaceId = invitee.RootNamespaceId }, await sharing.ListMembershipsAsync(invitee.UserId, ct));
        foreach (var mount in MountCandidates(folder.Name).Take(MaxMountAttempts))
        {
            if (inviteeView.MountAt(mount) is not null || await meta.GetEntryAsync(invitee.RootNamespaceId, mount.Key, ct) is { IsDeleted: false })
            {
                continue;
            }

            var member = new ShareMember { ShareId = share.ShareId, UserId = invitee.UserId, Email = invitee.Email, Role = parsedRole, MountPath = mount.Display, AddedAt = now };
            var writes = new List<MetadataWrite>();
            if (isNew)
            {
                writes.Add(new MetadataWrite.PutShare(share, MustBeNew: true));
                writes.Add(new MetadataWrite.CheckEntry(caller.RootNamespaceId, folder.PathKey, new EntryExpectation.HasRev(folder.Rev)));
            }

            writes.AddRange(SharingWrites.Join(share, member, caller.DeviceId, now));
            if (await ApplyAsync(writes, ct))
            {
                return new MemberInfo(invitee.Email, RoleName(parsedRole), false);
            }

            // Lost a race (the folder changed, or the name was taken meanwhile): look again.
            return await AddMemberAsync(caller, rawPath, email, role, ct);
        }

        throw Errors.Errors.Conflict(Errors.ErrorCodes.MountNameTaken, "The invitee has too many folders with this name; ask them to tidy up and try again.");
    }

    public async Task RemoveMemberAsync(Caller caller, string? rawPath, string? email, CancellationToken ct)
    {
        var (_, folder) = await OwnFolderAsync(caller, rawPath, ct);
        var share = await ShareOfAsync(caller.RootNamespaceId, folder.PathKey, ct);
        var normalized = AccountService.NormalizeEmail(email);
        var member = (await sharing.ListMembersAsync(share.ShareId, ct)).FirstOrDefault(m => m.Email == normalized)
            ?? throw Errors.Errors.NotFound(Errors.ErrorCodes.MemberNotFound, $"{normalized} is not a member of this folder.");
        await ApplyAsync(SharingWrites.Leave(new Membership(share, member), caller.DeviceId, clock.GetUtcNow()), ct);
    }

    public async Task<IReadOnlyList<MemberInfo>> ListMembersAsync(Caller caller, string? rawPath, CancellationToken ct)
    {
        var path = DropPath.Parse(rawPath, allowRoot: false);
        var at = (await resolver.ViewAsync(caller, ct)).Resolve(path);
        Share share;
        if (at.Membership is not null)
        {
            share = at.IsMountRoot ? at.Membership.Share : throw NotShared(path);
        }
        else
        {
            share = await ShareOfAsync(caller.RootNamespaceId, path.Key, ct);
        }

        var owner = await accounts.GetAccountAsync(share.OwnerUserId, ct);
        var members = await sharing.ListMembersAsync(share.ShareId, ct);
        return members.Select(m => new MemberInfo(m.Email, RoleName(m.Role), false)).Prepend(new MemberInfo(owner?.Email ?? "", "owner", true)).ToList();
    }

    public async Task<IReadOnlyList<SharedWithMe>> ListSharedWithMeAsync(Caller caller, CancellationToken ct)
    {
        var result = new List<SharedWithMe>();
        foreach (var membership in await sharing.ListMembershipsAsync(caller.UserId, ct))
        {
            var owner = await accounts.GetAccountAsync(membership.Share.OwnerUserId, ct);
            result.Add(new SharedWithMe(membership.Share.ShareId, membership.Member.MountPath, owner?.Email ?? "", RoleName(membership.Member.Role)));
        }

        return result;
    }

    public async Task LeaveAsync(Caller caller, string? rawPath, CancellationToken ct)
    {
        var path = DropPath.Parse(rawPath, allowRoot: false);
        var at = (await resolver.ViewAsync(caller, ct)).Resolve(path);
        if (!at.IsMountRoot)
        {
            throw Errors.Errors.BadRequest(Errors.ErrorCodes.NotASharedFolder, $"\"{path}\" is not a folder shared with you (give the shared folder itself).");
        }

        await ApplyAsync(SharingWrites.Leave(at.Membership!, caller.DeviceId, clock.GetUtcNow()), ct);
    }

    private async Task<(UserView View, FileEntry Folder)> OwnFolderAsync(Caller caller, string? rawPath, CancellationToken ct)
    {
        var path = DropPath.Parse(rawPath, allowRoot: false);
        var view = await resolver.ViewAsync(caller, ct);
        var at = view.Resolve(path);
        if (at.Membership is not null)
        {
            throw Errors.Errors.Forbidden(Errors.ErrorCodes.NotOwner, "Only the owner of a shared folder can change who it is shared with.");
        }

        var folder = await meta.GetEntryAsync(caller.RootNamespaceId, path.Key, ct);
        if (folder is null || folder.IsDeleted)
        {
            throw Errors.Errors.NotFound(Errors.ErrorCodes.NotFound, $"Nothing is at \"{path}\".");
        }

        return folder.Kind == EntryKind.Folder ? (view, folder) : throw Errors.Errors.Conflict(Errors.ErrorCodes.NotFolder, "Share folders with people; for a single file, create a shared link.");
    }

    private async Task<Share> ShareOfAsync(string ns, string folderKey, CancellationToken ct) =>
        (await sharing.ListSharesInNamespaceAsync(ns, ct)).FirstOrDefault(s => s.FolderKey == folderKey) ?? throw NotShared(DropPath.Parse(folderKey, true));

    private async Task<bool> ApplyAsync(IReadOnlyList<MetadataWrite> writes, CancellationToken ct)
    {
        var result = await meta.ApplyAsync(writes, ct);
        if (result.Applied)
        {
            await publisher.PublishAsync(result.Changes, CancellationToken.None);
        }

        return result.Applied;
    }

    private static IEnumerable<DropPath> MountCandidates(string name)
    {
        yield return DropPath.Root.Child(name);
        for (var i = 2; ; i++)
        {
            yield return DropPath.Root.Child($"{name} ({i})");
        }
    }

    private static ShareRole ParseRole(string? role) => role switch
    {
        "viewer" => ShareRole.Viewer,
        "editor" => ShareRole.Editor,
        _ => throw Errors.Errors.BadRequest(Errors.ErrorCodes.InvalidRole, "role is \"viewer\" or \"editor\"."),
    };

    private static string RoleName(ShareRole role) => role == ShareRole.Editor ? "editor" : "viewer";

    private static Errors.DropSyncException NotShared(DropPath path) =>
        Errors.Errors.NotFound(Errors.ErrorCodes.NotShared, $"\"{path}\" is not a shared folder.");
}
