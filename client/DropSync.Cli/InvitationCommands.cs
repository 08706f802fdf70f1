using System.CommandLine;
using DropSync.Client.Api;

namespace DropSync.Cli;

/// <summary>
/// <c>dropsync invitations [list]|accept|decline</c>: folders others want to share with this account. Nothing of theirs
/// is synced, and nothing of this account's reaches them, until an invitation is accepted.
/// </summary>
internal static class InvitationCommands
{
    public static Command Create(
        Func<ParseResult, Func<Task<int>>, Task<int>> guard,
        Func<ParseResult, object, string, int> done,
        Func<ParseResult, DropSyncApi> api)
    {
        var idArg = new Argument<string>("id") { Description = "The invitation's id (see `dropsync invitations`)." };
        var list = new Command("list", "List the invitations waiting for you.");
        var accept = new Command("accept", "Accept an invitation: the folder appears at the top of your tree on the next sync.") { idArg };
        var decline = new Command("decline", "Decline an invitation; nothing is shared.") { idArg };
        var group = new Command("invitations", "Folders others invite you to share (lists them when given no subcommand).") { list, accept, decline };

        Func<ParseResult, CancellationToken, Task<int>> listAction = (p, c) => guard(p, async () =>
        {
            using var client = api(p);
            var invitations = await client.ListInvitationsAsync(c);
            var lines = invitations.Count == 0
                ? ["No invitations."]
                : invitations.Select(i => $"{i.InvitationId}  {i.Created.ToLocalTime():yyyy-MM-dd HH:mm}  {i.OwnerEmail} shares {i.Path} with you as {i.Role}")
                    .Append("Accept one with `dropsync invitations accept <id>`, or decline it with `dropsync invitations decline <id>`.");
            return done(p, new InvitationsOutput(invitations), string.Join('\n', lines));
        });
        list.SetAction(listAction);
        group.SetAction(listAction);

        accept.SetAction((p, c) => guard(p, async () =>
        {
            using var client = api(p);
            var mounted = await client.AcceptInvitationAsync(p.GetValue(idArg)!, c);
            return done(p, mounted, $"Accepted: {mounted.OwnerEmail}'s folder is at {mounted.Path} ({mounted.Role}); sync to bring it to this device.");
        }));

        decline.SetAction((p, c) => guard(p, async () =>
        {
            using var client = api(p);
            var id = p.GetValue(idArg)!;
            await client.DeclineInvitationAsync(id, c);
            return done(p, new DeclinedInvitation(id, Declined: true), $"Declined invitation {id}.");
        }));

        return group;
    }
}
