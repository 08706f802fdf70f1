using System.CommandLine;
using DropSync.Client.Api;

namespace DropSync.Cli;

/// <summary><c>dropsync app-password create|list|revoke</c>: secrets for WebDAV clients (Finder, Explorer, davfs2, rclone).</summary>
internal static class AppPasswordCommands
{
    public static Command Create(
        Func<ParseResult, Func<Task<int>>, Task<int>> guard,
        Func<ParseResult, object, string, int> done,
        Func<ParseResult, DropSyncApi> api)
    {
        var nameArg = new Argument<string>("name") { Description = "What the app password is for, e.g. \"Finder on my laptop\"." };
        var idArg = new Argument<string>("id") { Description = "The app password's id (see `dropsync app-password list`)." };
        var create = new Command("create", "Create an app password; sign in to /dav/ with your e-mail and it. It is shown only once.") { nameArg };
        var list = new Command("list", "List this account's app passwords (never their secrets).");
        var revoke = new Command("revoke", "Revoke an app password: clients using it are refused at once.") { idArg };
        var group = new Command("app-password", "App passwords for WebDAV clients (the account password is never accepted there).") { create, list, revoke };

        create.SetAction((p, c) => guard(p, async () =>
        {
            using var client = api(p);
            var created = await client.CreateAppPasswordAsync(p.GetValue(nameArg)!, c);
            return done(p, created, $"App password \"{created.Name}\" ({created.Id}): {created.AppPassword}\nUse it with your e-mail at {new Uri(client.Server, "dav/")} ; it will not be shown again.");
        }));

        list.SetAction((p, c) => guard(p, async () =>
        {
            using var client = api(p);
            var passwords = await client.ListAppPasswordsAsync(c);
            var lines = passwords.Count == 0
                ? ["No app passwords; create one with `dropsync app-password create <name>`."]
                : passwords.Select(a => $"{a.Id}  {a.Created.ToLocalTime():yyyy-MM-dd HH:mm}  {a.Name}");
            return done(p, new AppPasswordsOutput(passwords), string.Join('\n', lines));
        }));

        revoke.SetAction((p, c) => guard(p, async () =>
        {
            using var client = api(p);
            var id = p.GetValue(idArg)!;
            await client.RevokeAppPasswordAsync(id, c);
            return done(p, new RevokedAppPassword(id, Revoked: true), $"Revoked app password {id}.");
        }));

        return group;
    }
}
