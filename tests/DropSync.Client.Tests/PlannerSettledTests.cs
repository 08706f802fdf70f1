using System.Globalization;
using System.Text;
using DropSync.Client.Sync;

namespace DropSync.Client.Tests;

/// <summary>
/// The planner leaves settled keys out (<see cref="SyncPlanner.WithoutSettled"/>): on random trees — a synced folder
/// then edited, deleted, renamed, moved, re-cased and retyped on either side — its plan must be exactly the plan of every
/// key. Cases: env DROPSYNC_PLANNER_CASES (default 3,000); a failure prints the case as a scenario file
/// (PlannerScenarios/ format) and its seed, which DROPSYNC_PLANNER_SEED replays.
/// </summary>
public sealed class PlannerSettledTests
{
    [Fact]
    public void Leaving_settled_keys_out_never_changes_the_plan()
    {
        var cases = int.TryParse(Environment.GetEnvironmentVariable("DROPSYNC_PLANNER_CASES"), out var n) && n > 0 ? n : 3_000;
        var first = int.TryParse(Environment.GetEnvironmentVariable("DROPSYNC_PLANNER_SEED"), out var s) ? s : 1;
        var reduced = 0;
        for (var seed = first; seed < first + cases; seed++)
        {
            var text = RandomCase.Generate(new Random(seed));
            var scenario = PlannerScenarioFile.Parse(text.Split('\n'));
            var input = new PlannerInput(scenario.Local, scenario.Index, scenario.Remote, scenario.LocalOnly, scenario.Direction);
            var expected = SyncPlanner.PlanEveryKey(input).Actions.Select(a => a.Describe()).ToList();
            var actual = SyncPlanner.Plan(input).Actions.Select(a => a.Describe()).ToList();
            if (!expected.SequenceEqual(actual))
            {
                Assert.Fail($"Seed {seed} (replay: DROPSYNC_PLANNER_SEED={seed} DROPSYNC_PLANNER_CASES=1): the plan without settled keys differs.\n" +
                    $"every key:\n  {string.Join("\n  ", expected)}\nwithout settled keys:\n  {string.Join("\n  ", actual)}\ncase:\n{text}");
            }

            reduced += SyncPlanner.WithoutSettled(input).Local.Count < scenario.Local.Count ? 1 : 0;
        }

        // The comparison means something only if most cases did leave keys out.
        Assert.True(reduced * 2 > cases, $"only {reduced} of {cases} cases left a settled key out");
    }

    [Fact]
    public void A_key_is_settled_only_when_all_three_sides_agree_on_kind_spelling_and_content()
    {
        var scenario = PlannerScenarioFile.Parse("""
            local:
              Same.txt 5 100
              edited.txt 6 101
              touched.txt 7 999
              server-edit.txt 8 103
              Case.txt 9 104
              refused.txt 10 105
              Folder/
            index:
              Same.txt 5 100 r1 h1
              edited.txt 5 101 r2 h2
              touched.txt 7 102 r3 h3
              server-edit.txt 8 103 r4 h4
              case.txt 9 104 r5 h5
              refused.txt 10 105 r6 h6
              Folder/
            remote:
              Same.txt 5 r1 h1
              edited.txt 5 r2 h2
              touched.txt 7 r3 h3
              server-edit.txt 8 r4b h4b
              case.txt 9 r5 h5
              refused.txt 10 r6 h6
              Folder/
            localonly:
              refused.txt 10 105
            """.Split('\n'));
        bool Settled(string key) => SyncPlanner.IsSettled(scenario.Local[key], scenario.Index.GetValueOrDefault(key), scenario.Remote.GetValueOrDefault(key), scenario.LocalOnly);

        Assert.True(Settled("/same.txt"));
        Assert.True(Settled("/folder"));
        Assert.False(Settled("/edited.txt"));      // size changed here
        Assert.False(Settled("/touched.txt"));     // mtime changed here
        Assert.False(Settled("/server-edit.txt")); // a new rev on the server
        Assert.False(Settled("/case.txt"));        // spelled otherwise here
        Assert.False(Settled("/refused.txt"));     // the server refused it before
    }

    /// <summary>A synced tree as scenario text, then a few random changes on the folder's side, the server's and the index's.</summary>
    private sealed class RandomCase
    {
        private static readonly string[] Folders = ["A", "A/Sub", "B", "C", "C/Deep", "C/Deep/Er"];

        private readonly Random _random;
        private readonly SortedDictionary<string, (long Size, long Mtime)> _local = new(StringComparer.Ordinal);
        private readonly SortedDictionary<string, (long Size, string Rev, string Hash)> _remote = new(StringComparer.Ordinal);
        private readonly SortedDictionary<string, (long Size, long Mtime, string Rev, string Hash)> _index = new(StringComparer.Ordinal);
        private readonly SortedSet<string> _localFolders = new(StringComparer.Ordinal);
        private readonly SortedSet<string> _remoteFolders = new(StringComparer.Ordinal);
        private readonly SortedSet<string> _indexFolders = new(StringComparer.Ordinal);
        private readonly SortedDictionary<string, (long Size, long Mtime)> _localOnly = new(StringComparer.Ordinal);
        private int _next;

        private RandomCase(Random random) => _random = random;

        public static string Generate(Random random)
        {
            var c = new RandomCase(random);
            c.Synced();
            for (var changes = random.Next(0, 7); changes > 0; changes--)
            {
                c.Change();
            }

            return c.Text();
        }

        private void Synced()
        {
            foreach (var folder in Folders)
            {
                _localFolders.Add(folder);
                _remoteFolders.Add(folder);
                _indexFolders.Add(folder);
            }

            for (var i = 0; i < 20 + _random.Next(20); i++)
            {
                var folder = Pick([.. Folders, ""]);
                var path = (folder.Length == 0 ? "" : folder + "/") + "f" + i + ".txt";
                // Few sizes and mtimes, and shared hashes: moves and renames must be told apart from look-alikes.
                var (size, mtime, hash) = (_random.Next(1, 6), 100 + _random.Next(4), "h" + _random.Next(12));
                _local[path] = (size, mtime);
                _remote[path] = (size, "r" + i, hash);
                _index[path] = (size, mtime, "r" + i, hash);
            }

            // Indexes from before folders were recorded know them only by their files.
            if (_random.Next(4) == 0)
            {
                _indexFolders.Remove(Pick([.. _indexFolders]));
            }
        }

        private void Change()
        {
            var files = _local.Keys.ToList();
            var remoteFiles = _remote.Keys.ToList();
            switch (_random.Next(17))
            {
                case 0 when files.Count > 0: // edited here
                    var e = Pick(files);
                    _local[e] = _random.Next(2) == 0 ? (_local[e].Size + 1, _local[e].Mtime) : (_local[e].Size, _local[e].Mtime + 7);
                    break;
                case 1 when files.Count > 0: // deleted here
                    _local.Remove(Pick(files));
                    break;
                case 2 when files.Count > 0: // renamed or moved here
                    var from = Pick(files);
                    _local[NewPath()] = _local[from];
                    _local.Remove(from);
                    break;
                case 3 when files.Count > 0: // re-cased here
                    var f = Pick(files);
                    _local[ReCase(f)] = _local[f];
                    _local.Remove(f);
                    break;
                case 4: // a folder renamed, moved or deleted here
                    MoveFolder(_local, _localFolders, deleteOnly: _random.Next(3) == 0, moved => moved);
                    break;
                case 5: // new here
                    _local[NewPath()] = (_random.Next(1, 6), 100 + _random.Next(4));
                    break;
                case 6: // a new empty folder here
                    _localFolders.Add(Pick(Folders) + "/new" + _next++);
                    break;
                case 7 when files.Count > 0: // a file became a folder here
                    var t = Pick(files);
                    _local.Remove(t);
                    _localFolders.Add(t);
                    break;
                case 8 when remoteFiles.Count > 0: // edited on the server (sometimes the same bytes again)
                    var r = Pick(remoteFiles);
                    _remote[r] = (_remote[r].Size + _random.Next(2), "r" + _next++, _random.Next(3) == 0 ? _remote[r].Hash : "h" + _next++);
                    break;
                case 9 when remoteFiles.Count > 0: // deleted on the server
                    _remote.Remove(Pick(remoteFiles));
                    break;
                case 10 when remoteFiles.Count > 0: // renamed or moved on the server
                    var rf = Pick(remoteFiles);
                    _remote[NewPath()] = _remote[rf] with { Rev = "r" + _next++ };
                    _remote.Remove(rf);
                    break;
                case 11 when remoteFiles.Count > 0: // re-cased on the server
                    var rc = Pick(remoteFiles);
                    _remote[ReCase(rc)] = _remote[rc] with { Rev = "r" + _next++ };
                    _remote.Remove(rc);
                    break;
                case 12: // a folder renamed, moved or deleted on the server
                    MoveFolder(_remote, _remoteFolders, deleteOnly: _random.Next(3) == 0, moved => moved with { Rev = "r" + _next++ });
                    break;
                case 13: // new on the server
                    _remote[NewPath()] = (_random.Next(1, 6), "r" + _next++, "h" + _random.Next(12));
                    break;
                case 14: // a new empty folder on the server
                    _remoteFolders.Add(Pick(Folders) + "/new" + _next++);
                    break;
                case 15 when files.Count > 0: // refused by the server before
                    var lo = Pick(files);
                    _localOnly[lo] = _random.Next(2) == 0 ? _local[lo] : (_local[lo].Size, _local[lo].Mtime + 1);
                    break;
                case 16 when files.Count > 0: // the index forgot a file (a pass cut short)
                    _index.Remove(Pick(files));
                    break;
            }
        }

        private void MoveFolder<T>(SortedDictionary<string, T> files, SortedSet<string> folders, bool deleteOnly, Func<T, T> moved)
        {
            var folder = Pick([.. folders]);
            var parent = Pick(["A", "B", "C", ""]);
            var to = deleteOnly ? null : parent.Length == 0 ? "moved" + _next++ : parent + "/moved" + _next++;
            if (to is not null && to.StartsWith(folder + "/", StringComparison.Ordinal))
            {
                return;
            }

            foreach (var path in files.Keys.Where(p => p.StartsWith(folder + "/", StringComparison.Ordinal)).ToList())
            {
                var value = files[path];
                files.Remove(path);
                if (to is not null)
                {
                    files[to + path[folder.Length..]] = moved(value);
                }
            }

            foreach (var sub in folders.Where(p => p == folder || p.StartsWith(folder + "/", StringComparison.Ordinal)).ToList())
            {
                folders.Remove(sub);
                if (to is not null)
                {
                    folders.Add(to + sub[folder.Length..]);
                }
            }
        }

        private string NewPath() => (Pick([.. Folders, ""]) is var folder && folder.Length == 0 ? "" : folder + "/") + "n" + _next++ + ".txt";

        private string ReCase(string path) => path[..(path.LastIndexOf('/') + 1)] + path[(path.LastIndexOf('/') + 1)..].ToUpperInvariant();

        private string Pick(IReadOnlyList<string> from) => from[_random.Next(from.Count)];

        private string Text()
        {
            var text = new StringBuilder();
            text.Append("direction: ").Append(Pick(["both", "both", "both", "push", "pull"])).Append('\n');
            text.Append("local:\n");
            Lines(_localFolders.Select(f => f + "/").Concat(_local.Select(kv => Invariant($"{kv.Key} {kv.Value.Size} {kv.Value.Mtime}"))));
            text.Append("index:\n");
            Lines(_indexFolders.Select(f => f + "/").Concat(_index.Select(kv => Invariant($"{kv.Key} {kv.Value.Size} {kv.Value.Mtime} {kv.Value.Rev} {kv.Value.Hash}"))));
            text.Append("remote:\n");
            Lines(_remoteFolders.Select(f => f + "/").Concat(_remote.Select(kv => Invariant($"{kv.Key} {kv.Value.Size} {kv.Value.Rev} {kv.Value.Hash}"))));
            text.Append("localonly:\n");
            Lines(_localOnly.Select(kv => Invariant($"{kv.Key} {kv.Value.Size} {kv.Value.Mtime}")));
            return text.ToString();

            void Lines(IEnumerable<string> lines)
            {
                foreach (var line in lines)
                {
                    text.Append("  ").Append(line).Append('\n');
                }
            }
        }

        private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
    }
}
