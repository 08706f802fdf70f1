using System.CommandLine;
using System.Net.Http;
using System.Text.Json;
using DropSync.Client.Api;
using DropSync.Client.Config;
using DropSync.Client.Sync;
using Spectre.Console;

namespace DropSync.Cli;

/// <summary>
/// What every command shares: where output goes, the global options, prompting, and how a command's result or failure
/// is written (text or `--json`) and turned into an exit code.
/// </summary>
internal sealed class CliContext
{
    /// <summary>Lines wider than any path (the server caps them at 1,024 characters) and any table row of them.</summary>
    public const int UnlimitedWidth = 1_000_000;

    /// <summary>`--json` output: the wire's conventions (snake_case, nulls left out), generated serializers.</summary>
    public static readonly JsonSerializerOptions JsonOutput = CliJsonContext.Default.Options;

    /// <summary>As <see cref="JsonOutput"/>, but nulls are written.</summary>
    public static readonly JsonSerializerOptions WithNulls = CliJsonWithNullsContext.Default.Options;

    private readonly TextReader? _input;
    private readonly IAnsiConsole _prompts;

    public CliContext(TextWriter output, TextReader? input)
    {
        Output = output;
        _input = input;
        Interactive = ReferenceEquals(output, System.Console.Out) && !System.Console.IsOutputRedirected;
        // Piped or captured output is for grep, cut and files: no colour codes, and no 80-column wrapping that splits revs and paths.
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = Interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = Interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        // Only the progress bar is laid out to the terminal's width; every other line is as long as it needs to be (a
        // narrow terminal soft-wraps it, which copies back as one line), so a rev or a path is never cut in two.
        TerminalWidth = Console.Profile.Width;
        Console.Profile.Width = UnlimitedWidth;
        // Prompts go to stderr, so `dropsync link /x --password | pbcopy` copies the URL and not "Link password:".
        _prompts = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Error) });
    }

    public TextWriter Output { get; }

    public IAnsiConsole Console { get; }

    /// <summary>Output is a terminal (not piped, not captured by a test): colours and a progress bar.</summary>
    public bool Interactive { get; }

    public int TerminalWidth { get; }

    public Option<string?> ConfigOption { get; } = new("--config") { Description = "Config folder (default ~/.config/dropsync); use one per device to run several on one machine.", Recursive = true };

    public Option<bool> JsonOption { get; } = new("--json") { Description = "Machine-readable output.", Recursive = true };

    /// <summary>The path argument of the commands about one path; an API error names it.</summary>
    public Argument<string> PathArgument { get; } = new("path") { Description = "A path in your DropSync, e.g. /Docs/a.txt." };

    /// <summary>The server URL `login` takes; an API error during login names it.</summary>
    public Argument<string> ServerArgument { get; } = new("server-url") { Description = "e.g. http://localhost:5000" };

    /// <summary>
    /// A line the user types, or null when there is no one to ask: with stdin redirected (or an input given, as tests
    /// do) the answer is the first line of it, and an empty or absent line is no answer.
    /// </summary>
    public string? Ask(string prompt, bool secret)
    {
        if (_input is null && !System.Console.IsInputRedirected)
        {
            var text = new TextPrompt<string>(prompt);
            return _prompts.Prompt(secret ? text.Secret() : text);
        }

        return (_input ?? System.Console.In).ReadLine() is { Length: > 0 } line ? line : null;
    }

    public bool Json(ParseResult p) => p.GetValue(JsonOption);

    public ClientConfig Config(ParseResult p) => new(p.GetValue(ConfigOption) ?? ClientConfig.DefaultFolder);

    /// <summary>A client signed in as the current account of the config folder.</summary>
    public DropSyncApi Api(ParseResult p) => Api(RequireAccount(Config(p)));

    public static Account RequireAccount(ClientConfig config) =>
        config.Current() ?? throw new NotSignedInException($"Not signed in (config folder {config.Folder}). Run `dropsync login <server-url>` first.");

    public static DropSyncApi Api(Account account) => new(new Uri(account.Server), account.AccessToken);

    /// <summary>Writes one of <see cref="CliJsonContext"/>'s types as a line of JSON.</summary>
    public void WriteJson(object value, JsonSerializerOptions? options = null) =>
        Output.WriteLine(JsonSerializer.Serialize(value, (options ?? JsonOutput).GetTypeInfo(value.GetType())));

    /// <summary>Writes a command's result (its JSON with --json, else the text) and answers success.</summary>
    public int Done(ParseResult p, object json, string text, JsonSerializerOptions? options = null)
    {
        if (Json(p))
        {
            WriteJson(json, options);
        }
        else
        {
            Console.MarkupLine(Markup.Escape(text));
        }

        return ExitCodes.Ok;
    }

    /// <summary>Runs a command's action, turning each kind of failure into its message and exit code.</summary>
    public async Task<int> Guard(ParseResult p, Func<Task<int>> action)
    {
        var json = Json(p);
        int Fail(int code, string error, string message)
        {
            if (json)
            {
                WriteJson(new ErrorOutput(error, message, code));
            }
            else
            {
                Console.MarkupLine($"[red]error:[/] {Markup.Escape(message)}");
            }

            return code;
        }

        try
        {
            return await action();
        }
        catch (NotSignedInException e)
        {
            return Fail(ExitCodes.NotSignedIn, "not_signed_in", e.Message);
        }
        catch (CliUsageException e)
        {
            return Fail(ExitCodes.Usage, e.Code, e.Message);
        }
        catch (DropSyncApiException e)
        {
            var arguments = p.CommandResult.Command.Arguments;
            var path = arguments.Contains(PathArgument) ? p.GetValue(PathArgument) : null;
            var server = arguments.Contains(ServerArgument) ? p.GetValue(ServerArgument) : Config(p).Current()?.Server;
            var (code, message) = CliErrors.Describe(e, path, server);
            return Fail(code, e.Code, message);
        }
        catch (HttpRequestException e)
        {
            return Fail(ExitCodes.Unreachable, "unreachable", $"Cannot reach the server ({e.Message}). Check the URL and your network, then try again.");
        }
        catch (SyncSafetyException e)
        {
            return Fail(ExitCodes.SafetyStop, "safety_stop", e.Message);
        }
        catch (OperationCanceledException)
        {
            return Fail(ExitCodes.Interrupted, "interrupted", "Interrupted. Run the same command again to continue where it stopped.");
        }
        catch (IOException e)
        {
            return Fail(ExitCodes.Error, "io_error", e.Message);
        }
        catch (UnauthorizedAccessException e)
        {
            return Fail(ExitCodes.Error, "access_denied", e.Message);
        }
        catch (ArgumentException e)
        {
            return Fail(ExitCodes.Usage, "usage", e.Message);
        }
    }
}
