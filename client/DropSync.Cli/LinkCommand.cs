using System.CommandLine;
using System.Text.Json;
using DropSync.Client.Api;

namespace DropSync.Cli;

/// <summary><c>dropsync link &lt;path&gt; [--expires] [--password]</c>: creates a shared link and prints the page to open.</summary>
internal static class LinkCommand
{
    public static Command Create(CliContext cli)
    {
        var expiresOption = new Option<string?>("--expires") { Description = "When the link stops working: an ISO date/time, or a duration such as 7d, 12h, 30m." };
        var linkPasswordOption = new Option<string?>("--password") { Description = "Protect the link with a password (prompted when no value is given, or env DROPSYNC_LINK_PASSWORD).", Arity = ArgumentArity.ZeroOrOne };
        var link = new Command("link", "Create a shared link anyone can open, and print its URL.") { cli.PathArgument, expiresOption, linkPasswordOption };
        link.SetAction((p, c) => cli.Guard(p, async () =>
        {
            using var api = cli.Api(p);
            DateTimeOffset? expires = p.GetValue(expiresOption) is { } text ? ParseExpiry(text, DateTimeOffset.UtcNow) : null;
            string? password = null;
            if (p.GetResult(linkPasswordOption) is not null)
            {
                password = p.GetValue(linkPasswordOption) is { Length: > 0 } given
                    ? given
                    : Environment.GetEnvironmentVariable("DROPSYNC_LINK_PASSWORD") is { Length: > 0 } fromEnv
                        ? fromEnv
                        : cli.Ask("Link password:", secret: true) ?? throw new CliUsageException("link_password_required",
                            "--password needs the link's password: set DROPSYNC_LINK_PASSWORD, pipe it on stdin, give it as --password P, or run in a terminal to be asked for it.");
            }

            var created = await api.CreateLinkAsync(p.GetValue(cli.PathArgument)!, expires, password, c);
            if (cli.Json(p))
            {
                cli.WriteJson(created);
            }
            else
            {
                // The page to open (Url is the link's JSON API), alone on stdout, so `dropsync link /x | pbcopy` works.
                cli.Output.WriteLine(created.WebUrl ?? created.Url);
            }

            return ExitCodes.Ok;
        }));

        return link;
    }

    /// <summary>An ISO date/time, or a duration from now: "7d", "12h", "30m", "90s", "2w", or a .NET TimeSpan ("1.12:00:00").</summary>
    internal static DateTimeOffset ParseExpiry(string text, DateTimeOffset now)
    {
        var t = text.Trim();
        if (t.Length >= 2 && double.TryParse(t[..^1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            TimeSpan? span = char.ToLowerInvariant(t[^1]) switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(n),
                'w' => TimeSpan.FromDays(7 * n),
                _ => null,
            };
            if (span is { } s)
            {
                return now + s;
            }
        }

        if (DateTimeOffset.TryParse(t, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at) && t.Contains('-', StringComparison.Ordinal))
        {
            return at;
        }

        if (TimeSpan.TryParse(t, System.Globalization.CultureInfo.InvariantCulture, out var ts) && ts > TimeSpan.Zero)
        {
            return now + ts;
        }

        throw new ArgumentException($"--expires: \"{text}\" is neither an ISO date/time (2030-01-31T12:00Z) nor a duration (7d, 12h, 30m).");
    }
}
