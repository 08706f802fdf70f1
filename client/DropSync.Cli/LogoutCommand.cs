using System.CommandLine;
using System.Net;
using DropSync.Client.Api;

namespace DropSync.Cli;

/// <summary><c>dropsync logout</c>: revokes this device's token on the server and forgets it here.</summary>
internal static class LogoutCommand
{
    public static Command Create(CliContext cli)
    {
        var logout = new Command("logout", "Sign this device out and forget its token.");
        logout.SetAction((p, c) => cli.Guard(p, async () =>
        {
            var config = cli.Config(p);
            var account = CliContext.RequireAccount(config);
            using var api = CliContext.Api(account);
            try
            {
                await api.LogoutAsync(c);
            }
            catch (DropSyncApiException e) when (e.Status == HttpStatusCode.Unauthorized)
            {
                // Already revoked on the server: forget it here all the same.
            }

            config.Remove(account);
            return cli.Done(p, new LogoutOutput(account.Email), $"Signed out {account.Email}; this device's token is revoked.");
        }));

        return logout;
    }
}
