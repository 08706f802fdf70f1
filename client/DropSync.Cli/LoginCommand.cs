using System.CommandLine;
using DropSync.Client.Api;
using DropSync.Client.Config;

namespace DropSync.Cli;

/// <summary><c>dropsync login &lt;server-url&gt;</c>: signs this device in and remembers its token.</summary>
internal static class LoginCommand
{
    public static Command Create(CliContext cli)
    {
        var emailOption = new Option<string?>("--email") { Description = "Account email (or env DROPSYNC_EMAIL; prompted otherwise)." };
        var passwordOption = new Option<string?>("--password") { Description = "Password (or env DROPSYNC_PASSWORD; prompted otherwise)." };
        var deviceOption = new Option<string?>("--device-name") { Description = "Name of this device (default: the machine name)." };
        var login = new Command("login", "Sign this device in and remember its token.") { cli.ServerArgument, emailOption, passwordOption, deviceOption };

        login.SetAction((p, c) => cli.Guard(p, async () =>
        {
            var server = new Uri(p.GetValue(cli.ServerArgument)!.TrimEnd('/') + "/");
            var email = p.GetValue(emailOption) ?? Environment.GetEnvironmentVariable("DROPSYNC_EMAIL") ?? cli.Ask("Email:", secret: false) ?? throw NoCredentials();
            var password = p.GetValue(passwordOption) ?? Environment.GetEnvironmentVariable("DROPSYNC_PASSWORD") ?? cli.Ask("Password:", secret: true) ?? throw NoCredentials();
            var device = p.GetValue(deviceOption) ?? Environment.MachineName;
            using var api = new DropSyncApi(server, null);
            var result = await api.LoginAsync(email, password, device, c);
            var account = new Account(server.ToString(), email, result.AccessToken, result.DeviceId, device);
            cli.Config(p).Save(account);
            return cli.Done(p, new LoginOutput(email, server.ToString(), result.DeviceId, device),
                $"Signed in as {email} on {server} (device {device}).");
        }));

        return login;
    }

    private static NotSignedInException NoCredentials() =>
        new("No credentials given: pass --email/--password or set DROPSYNC_EMAIL/DROPSYNC_PASSWORD.");
}
