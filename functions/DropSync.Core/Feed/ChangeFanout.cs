using DropSync.Core.Accounts;
using DropSync.Core.Model;
using DropSync.Core.Paths;
using DropSync.Core.Ports;
using DropSync.Core.Sharing;

namespace DropSync.Core.Feed;

/// <summary>
/// Works out who is concerned by each committed change — the namespace's owner and the members of any share that
/// contains it — and hands each of them the change as they see it (the push port delivers it to their devices), plus a
/// notification when someone else edited, deleted or shared something of theirs. The same code runs in-process in the
/// embedded mode and in the SQS-triggered fan-out in AWS mode. Idempotent per change: a change delivered twice is
/// pushed twice (devices ignore sequence numbers they have) but recorded as a notification once per id. Every so many
/// changes of a namespace it also applies the journal's retention rules (<see cref="JournalRetention"/>).
/// </summary>
public sealed class ChangeFanout(ISharingStore sharing, IAccountStore accounts, INotificationStore notifications, IPushGateway push, JournalRetention retention)
{
    public Task DispatchAsync(ChangeRecord change, CancellationToken ct) => DispatchAsync(change, new FanoutLookups(), ct);

    /// <summary>
    /// As above, reading who the actor is and who is concerned through <paramref name="lookups"/>, which a run of changes
    /// handed over together (a batch upload's 500 commits) shares: three reads for the run instead of three a change.
    /// </summary>
    public async Task DispatchAsync(ChangeRecord change, FanoutLookups lookups, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(lookups);
        var (actor, actorEmail) = await lookups.ActorAsync(accounts, change.DeviceId, ct);
        var notes = new List<Notification>();
        foreach (var (userId, place) in await ConcernedAsync(change, lookups, ct))
        {
            // Sharing is announced to each person once, from the entry in their own namespace: the owner hears that someone
            // joined (accepted an invitation) or left; the invitee was told of the invitation when it was made.
            var kind = place.Membership is not null && change.Kind is ChangeKind.Shared or ChangeKind.Unshared or ChangeKind.MemberLeft ? null : NotificationKind(change.Kind);
            var noted = kind is not null && actor is not null && actor.UserId != userId;
            var listening = push.MayDeliverTo(userId);
            if (!noted && !listening)
            {
                // Nobody of theirs is connected and nothing is recorded for them: a commit with no listener costs no event.
                continue;
            }

            var entries = ChangeTranslator.Translate(change, place);
            foreach (var entry in listening ? entries : Array.Empty<FeedEntry>())
            {
                var body = new Dictionary<string, object?>
                {
                    ["kind"] = entry.Change,
                    ["tag"] = entry.Tag,
                    ["path"] = entry.Path,
                    ["from_path"] = entry.FromPath,
                    // The keys under which clients compare paths (the web app matches them against the open folder's).
                    ["path_lower"] = entry.PathLower,
                    ["from_path_lower"] = entry.FromPathLower,
                    ["rev"] = entry.Rev,
                    ["size"] = entry.Size,
                    ["content_hash"] = entry.ContentHash,
                    ["device_id"] = change.DeviceId,
                    // The cursor's position key this sequence belongs to (the place, and the journal if a shard's).
                    ["place"] = ChangeFeed.PositionKey(place, change.JournalId),
                    ["seq"] = change.Sequence,
                };
                await push.PushAsync(userId, new PushMessage("change", body, change.DeviceId), ct);
            }

            var shownPath = entries.Count > 0 ? entries[^1].Path : change.Kind == ChangeKind.MemberLeft ? place.ToView(change.PathDisplay) : null;
            if (noted && kind is not null && shownPath is not null)
            {
                notes.Add(new Notification
                {
                    NotificationId = $"n_{change.JournalId}_{change.Sequence}_{userId}",
                    UserId = userId,
                    Kind = kind,
                    Path = shownPath,
                    ActorEmail = actorEmail,
                    ActorDeviceId = change.DeviceId,
                    Time = change.Time,
                });
            }
        }

        if (notes.Count > 0)
        {
            await notifications.AddAsync(notes, ct);
            foreach (var note in notes)
            {
                var body = new Dictionary<string, object?>
                {
                    ["notification_id"] = note.NotificationId,
                    ["kind"] = note.Kind,
                    ["path"] = note.Path,
                    ["actor_email"] = note.ActorEmail,
                    ["time"] = note.Time,
                };
                await push.PushAsync(note.UserId, new PushMessage("notification", body, null), ct);
            }
        }

        // A change of sharing (or one that may move or remove a shared folder) changes who is concerned from here on.
        lookups.ForgetSharesAfter(change);

        // After the pushes, so that trimming never delays anyone's event; idempotent, like the rest, when redelivered.
        if (retention.IsDue(change))
        {
            await retention.CompactAsync(change.JournalId, ct);
        }
    }

    /// <summary>The owner of the namespace at its own place, and each member whose share contains the change.</summary>
    private async Task<IReadOnlyList<(string UserId, Location Place)>> ConcernedAsync(ChangeRecord change, FanoutLookups lookups, CancellationToken ct)
    {
        var ownerId = Namespaces.OwnerOf(change.NamespaceId);
        var result = new List<(string, Location)> { (ownerId, new Location(change.NamespaceId, DropPath.Root, DropPath.Root, DropPath.Root, Access.Owner, null)) };
        var path = DropPath.Parse(change.PathDisplay, allowRoot: true);
        var from = change.FromPath is null ? null : DropPath.Parse(change.FromPath, allowRoot: true);
        foreach (var share in await lookups.SharesAsync(sharing, change.NamespaceId, ct))
        {
            var folder = DropPath.Parse(share.FolderPath, false);
            if (!folder.Contains(path) && (from is null || !folder.Contains(from)))
            {
                continue;
            }

            foreach (var member in await lookups.MembersAsync(sharing, share.ShareId, ct))
            {
                var mount = DropPath.Parse(member.MountPath, false);
                var access = member.Role == ShareRole.Editor ? Access.Editor : Access.Viewer;
                result.Add((member.UserId, new Location(share.NamespaceId, folder, mount, folder, access, new Membership(share, member))));
            }
        }

        return result;
    }

    private static string? NotificationKind(ChangeKind kind) => kind switch
    {
        ChangeKind.Edited or ChangeKind.Restored => "edited",
        ChangeKind.Deleted => "deleted",
        ChangeKind.Shared => "joined",
        ChangeKind.Unshared or ChangeKind.MemberLeft => "unshared",
        _ => null,
    };
}
