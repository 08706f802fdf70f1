using System.Diagnostics;
using System.Text;

namespace DropSync.AwsHarness.Lambda;

/// <summary>
/// One execution environment of a function: the published asset started through its <c>bootstrap</c> as Lambda's
/// provided.al2023 runtime starts it (working directory = the task root, a clean environment holding only the function's
/// configured variables and Lambda's runtime variables), as a separate OS process. Restartable: a crash or a timeout
/// resets the environment and the next invocation starts a fresh one (a cold start).
/// https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html
/// https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html
/// </summary>
public sealed class FunctionProcess : IDisposable
{
    private readonly string _assetFolder;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly StringBuilder _output = new();
    private Process? _process;

    public FunctionProcess(string name, string assetFolder, IReadOnlyDictionary<string, string> environment)
    {
        Name = name;
        _assetFolder = assetFolder;
        _environment = environment;
    }

    public string Name { get; }

    /// <summary>How many times the environment was (re)started: 1 after the first cold start.</summary>
    public int Starts { get; private set; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The process's stdout and stderr (its CloudWatch log, as it were), capped.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public void Start()
    {
        Stop();
        var info = new ProcessStartInfo(Path.Combine(_assetFolder, "bootstrap"))
        {
            WorkingDirectory = _assetFolder,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment.Clear();
        foreach (var (key, value) in _environment)
        {
            info.Environment[key] = value;
        }

        _process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {Name}'s bootstrap.");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Starts++;
    }

    /// <summary>Ends the environment (SIGKILL: Lambda gives no grace to a timed-out or crashed one).</summary>
    public void Stop()
    {
        if (_process is null)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
        _process = null;
    }

    public void Dispose() => Stop();

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length > 200_000)
            {
                _output.Remove(0, 100_000);
            }

            _output.AppendLine(line);
        }
    }
}
