using DropSync.Client.Sync;

namespace DropSync.Client.Tests;

/// <summary>
/// The planner against the table of scenarios in PlannerScenarios/ (one file each, see <see cref="PlannerScenarioFile"/>):
/// the folder's scan and the server's tree are filtered by the ignore rules as a sync filters them, the safety nets
/// judge the plan as a sync does, and the plan must be exactly the expected lines. A mismatch prints both and a diff.
/// </summary>
public sealed class PlannerScenarioTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "PlannerScenarios");

    public static TheoryData<string> Scenarios() => new(Directory.GetFiles(Folder, "*.txt").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal)!);

    [Fact]
    public void The_table_has_at_least_25_scenarios() => Assert.True(Scenarios().Count >= 25, $"{Scenarios().Count} scenarios in {Folder}");

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Plans_as_the_scenario_expects(string name)
    {
        var s = PlannerScenarioFile.Parse(File.ReadAllLines(Path.Combine(Folder, name + ".txt")));
        var actual = Plan(s);
        if (!actual.SequenceEqual(s.Expected))
        {
            Assert.Fail($"Scenario {name}: the plan differs.\nexpected:\n  {string.Join("\n  ", s.Expected)}\nactual:\n  {string.Join("\n  ", actual)}\ndiff (- expected, + actual):\n{Diff(s.Expected, actual)}");
        }
    }

    [Fact]
    public void The_same_input_gives_the_same_plan()
    {
        foreach (var name in Scenarios())
        {
            var s = PlannerScenarioFile.Parse(File.ReadAllLines(Path.Combine(Folder, name + ".txt")));
            Assert.Equal(Plan(s), Plan(s));
        }
    }

    private static List<string> Plan(PlannerScenarioFile s)
    {
        var ignore = IgnoreRules.FromPatterns(s.Ignore);
        var local = s.Local.Where(kv => !ignore.IsIgnored(kv.Value.Rel, kv.Value.IsDir)).ToDictionary(StringComparer.Ordinal);
        var remote = s.Remote.Where(kv => !ignore.IsIgnored(kv.Value.Path, kv.Value.IsFolder)).ToDictionary(StringComparer.Ordinal);
        var options = new SyncOptions { Force = s.Force, Direction = s.Direction };
        try
        {
            DeletionGuard.CheckNotEmptied("/sync", s.Index, local, options);
        }
        catch (SyncSafetyException)
        {
            return ["refused: the folder is empty"];
        }

        var plan = SyncPlanner.Plan(new PlannerInput(local, s.Index, remote, s.LocalOnly, s.Direction));
        try
        {
            DeletionGuard.CheckMassDeletion("/sync", plan, s.Index.Values.Count(e => !e.IsDir), options, null);
        }
        catch (SyncSafetyException)
        {
            return [$"refused: mass deletion ({plan.Deletions} files)"];
        }

        return plan.Actions.Select(a => a.Describe()).ToList();
    }

    /// <summary>A line diff (longest common subsequence): unchanged lines indented, others marked - or +.</summary>
    private static string Diff(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        var lcs = new int[a.Count + 1, b.Count + 1];
        for (var i = a.Count - 1; i >= 0; i--)
        {
            for (var j = b.Count - 1; j >= 0; j--)
            {
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }

        var lines = new List<string>();
        int x = 0, y = 0;
        while (x < a.Count || y < b.Count)
        {
            if (x < a.Count && y < b.Count && a[x] == b[y])
            {
                lines.Add("  " + a[x++]);
                y++;
            }
            else if (y < b.Count && (x == a.Count || lcs[x, y + 1] >= lcs[x + 1, y]))
            {
                lines.Add("+ " + b[y++]);
            }
            else
            {
                lines.Add("- " + a[x++]);
            }
        }

        return string.Join('\n', lines);
    }
}
