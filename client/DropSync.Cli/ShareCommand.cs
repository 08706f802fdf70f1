using System.CommandLine;

namespace DropSync.Cli;

/// <summary><c>dropsync share &lt;path&gt; &lt;email&gt; [--role]</c>: invites someone to a folder, or changes a member's role.</summary>
internal static class ShareCommand
{
    public static Command Create(CliContext cli)
    {
        var emailArg = new Argument<string>("email") { Description = "Who to share with (their DropSync account email)." };
        var roleOption = new Option<string>("--role") { Description = "viewer (read only) or editor.", DefaultValueFactory = _ => "editor" };
        roleOption.AcceptOnlyFromAmong("viewer", "editor");
        var share = new Command("share", "Invite someone to a folder (shared once they accept), or change a member's role.") { cli.PathArgument, emailArg, roleOption };
        share.SetAction((p, c) => cli.Guard(p, async () =>
        {
            using var api = cli.Api(p);
            var (path, email, role) = (p.GetValue(cli.PathArgument)!, p.GetValue(emailArg)!, p.GetValue(roleOption)!);
            var result = await api.AddMemberAsync(path, email, role, c);
            return cli.Done(
                p,
                result,
                result.TryGetProperty("status", out var status) && status.GetString() == "active"
                    ? $"{email} now has {path} as {role}."
                    : $"Invited {email} to {path} as {role}; it is shared once they accept (`dropsync invitations`).");
        }));

        return share;
    }
}
