using DropSync.Client.Api;
using DropSync.Client.Sync;

namespace DropSync.Client.Tests;

/// <summary>
/// One planner scenario, kept as text (PlannerScenarios/*.txt): the folder, the index and the server's tree, and the
/// plan expected for them, one action a line as <see cref="SyncAction.Describe"/> words it (or <c>refused: …</c> when a
/// safety net stops the sync). Sections:
/// <code>
/// # what the scenario shows (comments anywhere)
/// direction: both | push | pull        (optional)
/// options: force                       (optional)
/// ignore:   one .dropsyncignore pattern a line
/// local:    a/b.txt SIZE MTIME   or   a/folder/
/// index:    a/b.txt SIZE MTIME REV HASH   or   a/folder/
/// remote:   a/b.txt SIZE REV HASH   or   a/folder/
/// localonly: a/b.txt SIZE MTIME
/// expect:   one action a line
/// </code>
/// Paths may hold spaces (the numbers are read from the right). The folders above local and server files are added, as
/// a scan and a server listing would have them.
/// </summary>
public sealed class PlannerScenarioFile
{
    public Dictionary<string, LocalItem> Local { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, IndexEntry> Index { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, RemoteEntry> Remote { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, (long Size, long Mtime)> LocalOnly { get; } = new(StringComparer.Ordinal);
    public List<string> Ignore { get; } = [];
    public List<string> Expected { get; } = [];
    public SyncDirection Direction { get; private set; } = SyncDirection.Both;
    public bool Force { get; private set; }

    public static PlannerScenarioFile Parse(IEnumerable<string> lines)
    {
        var s = new PlannerScenarioFile();
        var section = "";
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (!raw.StartsWith(' ') && line.Contains(':', StringComparison.Ordinal) && line.IndexOf(':', StringComparison.Ordinal) is var colon
                && line[..colon] is "direction" or "options" or "ignore" or "local" or "index" or "remote" or "localonly" or "expect")
            {
                section = line[..colon];
                var value = line[(colon + 1)..].Trim();
                if (section == "direction")
                {
                    s.Direction = Enum.Parse<SyncDirection>(value, ignoreCase: true);
                }
                else if (section == "options")
                {
                    s.Force = value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("force");
                }

                continue;
            }

            s.Add(section, line);
        }

        s.AddFolders();
        return s;
    }

    private void Add(string section, string line)
    {
        if (section is "ignore" or "expect")
        {
            (section == "ignore" ? Ignore : Expected).Add(line);
            return;
        }

        if (line.EndsWith('/'))
        {
            var rel = line.TrimEnd('/');
            var key = SyncEngine.KeyOf("/" + rel);
            switch (section)
            {
                case "local": Local[key] = new LocalItem(key, rel, true, 0, 0); break;
                case "index": Index[key] = new IndexEntry(key, "/" + rel, true, 0, 0, null, null, []); break;
                case "remote": Remote[key] = Folder("/" + rel); break;
                default: throw new FormatException($"A folder has no place in {section}: {line}");
            }

            return;
        }

        var (path, n) = Split(line, section switch { "index" => 4, "remote" => 3, _ => 2 });
        var k = SyncEngine.KeyOf("/" + path);
        switch (section)
        {
            case "local": Local[k] = new LocalItem(k, path, false, long.Parse(n[0]), long.Parse(n[1])); break;
            case "index": Index[k] = new IndexEntry(k, "/" + path, false, long.Parse(n[0]), long.Parse(n[1]), n[2], n[3], []); break;
            case "remote": Remote[k] = new RemoteEntry("file", "/" + path, NameOf(path), n[1], long.Parse(n[0]), n[2], null, null); break;
            case "localonly": LocalOnly[k] = (long.Parse(n[0]), long.Parse(n[1])); break;
            default: throw new FormatException($"Not in a section: {line}");
        }
    }

    private static (string Path, string[] Fields) Split(string line, int fields)
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length <= fields)
        {
            throw new FormatException($"Expected a path and {fields} fields: {line}");
        }

        var tail = parts[^fields..];
        var path = line[..line.LastIndexOf(' ' + string.Join(' ', tail), StringComparison.Ordinal)].Trim();
        return (path, tail);
    }

    private static string NameOf(string path) => path[(path.LastIndexOf('/') + 1)..];

    private static RemoteEntry Folder(string path) => new("folder", path, NameOf(path), null, null, null, null, null);

    /// <summary>The folders above each local and server file, as a scan and a server listing have them.</summary>
    private void AddFolders()
    {
        foreach (var item in Local.Values.ToList())
        {
            for (var slash = item.Rel.LastIndexOf('/'); slash > 0; slash = item.Rel.LastIndexOf('/', slash - 1))
            {
                var rel = item.Rel[..slash];
                Local.TryAdd(SyncEngine.KeyOf("/" + rel), new LocalItem(SyncEngine.KeyOf("/" + rel), rel, true, 0, 0));
            }
        }

        foreach (var entry in Remote.Values.ToList())
        {
            for (var slash = entry.Path.LastIndexOf('/'); slash > 0; slash = entry.Path.LastIndexOf('/', slash - 1))
            {
                Remote.TryAdd(SyncEngine.KeyOf(entry.Path[..slash]), Folder(entry.Path[..slash]));
            }
        }
    }
}
