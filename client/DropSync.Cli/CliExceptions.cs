namespace DropSync.Cli;

public sealed class NotSignedInException(string message) : Exception(message);

/// <summary>The command cannot run as given (exit code 2); <see cref="Code"/> is the `--json` error code.</summary>
public sealed class CliUsageException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
