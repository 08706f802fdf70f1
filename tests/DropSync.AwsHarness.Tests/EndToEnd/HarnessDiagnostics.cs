using System.Text;

namespace DropSync.AwsHarness.Tests.EndToEnd;

/// <summary>What a failing end-to-end test shows of the harness: each function's last log lines and the last calls.</summary>
public static class HarnessDiagnostics
{
    public static string Describe(AwsHarness? harness, int lines = 15)
    {
        if (harness is null)
        {
            return "(a real deployment: see its CloudWatch logs)";
        }

        var text = new StringBuilder();
        foreach (var (role, function) in harness.Functions)
        {
            var log = function.Process.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            text.Append("\n--- ").Append(role).Append(" (last ").Append(Math.Min(lines, log.Length)).Append(" log lines)\n")
                .AppendJoin('\n', log.TakeLast(lines));
        }

        text.Append("\n--- last calls\n").AppendJoin('\n', harness.Calls.Snapshot().TakeLast(lines * 2));
        return text.ToString();
    }
}
