using MAB.DotIgnore;

namespace DropSync.Client.Sync;

/// <summary>
/// What is never synced: the state folder, common editor and OS temp files, and the patterns of the folder's
/// <c>.dropsyncignore</c> (gitignore syntax). Paths are relative to the sync folder, with '/' separators.
/// </summary>
public sealed class IgnoreRules
{
    public const string FileName = ".dropsyncignore";

    /// <summary>
    /// Editors' and the OS's scratch files, which come and go while one edits and are no one's content: Vim's swap files
    /// (<c>.name.swp</c>, then <c>.swo</c> … <c>.swa</c>; hidden ones only, so <c>movie.swf</c> still syncs) and the
    /// <c>4913</c> it writes to test a folder, Emacs's backups (<c>name~</c>), auto-saves (<c>#name#</c>) and locks
    /// (<c>.#name</c>), Office's and LibreOffice's locks (<c>~$name</c>, <c>.~lock.name#</c>), macOS's <c>.DS_Store</c>.
    /// </summary>
    public static readonly IReadOnlyList<string> Defaults =
        ["/.dropsync/", "*.swp", ".*.sw[a-p]", "4913", "*~", "\\#*#", "~$*", ".~lock.*#", ".DS_Store", "*.tmp", ".#*", "*.dropsync-part"];

    private readonly IgnoreList _list;
    private readonly IgnoreLiterals _literals;

    private IgnoreRules(IEnumerable<string> rules)
    {
        var list = rules.ToList();
        _list = new IgnoreList(list, MatchFlags.PATHNAME);
        _literals = IgnoreLiterals.Of(list);
    }

    public static IgnoreRules Load(string root)
    {
        var file = Path.Combine(root, FileName);
        var user = File.Exists(file)
            ? File.ReadAllLines(file).Where(l => !string.IsNullOrWhiteSpace(l) && !l.TrimStart().StartsWith('#'))
            : [];
        return new IgnoreRules(Defaults.Concat(user));
    }

    public static IgnoreRules FromPatterns(IEnumerable<string> patterns) => new(Defaults.Concat(patterns));

    public bool IsIgnored(string relativePath, bool isDirectory)
    {
        var trimmed = relativePath.TrimStart('/');
        if (trimmed.Length == 0)
        {
            return false;
        }

        if (trimmed.Equals(".dropsync", StringComparison.Ordinal) || trimmed.StartsWith(".dropsync/", StringComparison.Ordinal))
        {
            return true;
        }

        // Most paths no rule can match, nor any of their folders: told without the matcher.
        if (!_literals.MayMatch(trimmed))
        {
            return false;
        }

        // A path below an ignored folder is ignored too (a remote listing is flat, so check each ancestor). Folders'
        // answers are kept: a listing of 100,000 files has a few thousand folders, each asked about once.
        for (var slash = trimmed.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = trimmed.IndexOf('/', slash + 1))
        {
            if (IsIgnoredFolder(trimmed[..slash]))
            {
                return true;
            }
        }

        return isDirectory ? IsIgnoredFolder(trimmed) : _list.IsIgnored(trimmed, false);
    }

    /// <summary>
    /// The same for a path whose folders are known not to be ignored (a walk that does not go into ignored folders):
    /// only its own name is matched.
    /// </summary>
    internal bool IsIgnoredBelowKeptFolders(string relativePath, bool isDirectory) =>
        relativePath.Equals(".dropsync", StringComparison.Ordinal) || relativePath.StartsWith(".dropsync/", StringComparison.Ordinal)
        || (_literals.MayMatch(relativePath) && (isDirectory ? IsIgnoredFolder(relativePath) : _list.IsIgnored(relativePath, false)));

    private readonly Dictionary<string, bool> _folders = new(StringComparer.Ordinal);
    private readonly Lock _foldersLock = new();

    private bool IsIgnoredFolder(string path)
    {
        lock (_foldersLock)
        {
            if (!_folders.TryGetValue(path, out var ignored))
            {
                _folders[path] = ignored = _list.IsIgnored(path, true);
            }

            return ignored;
        }
    }
}
