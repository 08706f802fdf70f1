using DropSync.Core.Files;

namespace DropSync.Client.Sync;

/// <summary>Set-aside copies (a local version moved out of the way, never overwritten) and local folders a sync makes.</summary>
internal sealed class LocalNames(SyncPass p)
{
    private readonly Lock _foldersLock = new();
    private readonly HashSet<string> _foldersMadeHere = new(StringComparer.Ordinal);

    /// <summary>Folders seen or made this pass: a download into one costs no stat of every folder above it.</summary>
    private readonly HashSet<string> _foldersPresent = new(StringComparer.Ordinal);

    /// <summary>Renames a local item out of the way ("name (label).ext", unique); answers its new relative path.</summary>
    public string SetAside(string rel, bool isDir, string label)
    {
        var slash = rel.LastIndexOf('/');
        var (parent, name) = slash < 0 ? ("", rel) : (rel[..(slash + 1)], rel[(slash + 1)..]);
        var dot = isDir ? -1 : name.LastIndexOf('.');
        var (stem, ext) = dot > 0 ? (name[..dot], name[dot..]) : (name, "");
        for (var i = 0; ; i++)
        {
            var candidate = parent + stem + (i == 0 ? $" ({label})" : $" ({label} {i})") + ext;
            if (!File.Exists(p.Full(candidate)) && !Directory.Exists(p.Full(candidate)) && !p.Remote.ContainsKey(SyncEngine.KeyOf("/" + candidate)))
            {
                if (isDir)
                {
                    Directory.Move(p.Full(rel), p.Full(candidate));
                }
                else
                {
                    File.Move(p.Full(rel), p.Full(candidate));
                }

                p.Again = true;
                return candidate;
            }
        }
    }

    /// <summary>A conflicted-copy name for a local version that must not be overwritten, as the server would name it.</summary>
    public string SetAsideAsConflictedCopy(string rel)
    {
        var slash = rel.LastIndexOf('/');
        var parent = slash < 0 ? "" : rel[..(slash + 1)];
        var name = slash < 0 ? rel : rel[(slash + 1)..];
        foreach (var candidateName in ConflictNames.Candidates(name, p.DeviceName, DateTimeOffset.UtcNow).Take(1000))
        {
            var candidate = parent + candidateName;
            if (!File.Exists(p.Full(candidate)) && !Directory.Exists(p.Full(candidate)) && !p.Remote.ContainsKey(SyncEngine.KeyOf("/" + candidate)))
            {
                File.Move(p.Full(rel), p.Full(candidate));
                p.Again = true;
                return candidate;
            }
        }

        throw new IOException($"Too many conflicted copies of {rel}; clean some up and sync again.");
    }

    public static string ParentRel(string rel) => rel[..Math.Max(0, rel.LastIndexOf('/'))];

    /// <summary>Creates a local folder and any missing folder above it, counting each one this sync made.</summary>
    public void EnsureLocalFolder(string rel)
    {
        if (rel.Length == 0)
        {
            return;
        }

        lock (_foldersLock)
        {
            if (_foldersPresent.Contains(rel))
            {
                return;
            }

            var path = "";
            foreach (var name in rel.Split('/'))
            {
                path = path.Length == 0 ? name : path + "/" + name;
                if (!Directory.Exists(p.Full(path)))
                {
                    Directory.CreateDirectory(p.Full(path));
                    if (_foldersMadeHere.Add(path))
                    {
                        p.Report.FolderCreated();
                    }
                }

                _foldersPresent.Add(path);
            }
        }
    }

    /// <summary>Forgets the folders seen this pass (one was removed meanwhile): the next <see cref="EnsureLocalFolder"/> looks again.</summary>
    public void ForgetSeenFolders()
    {
        lock (_foldersLock)
        {
            _foldersPresent.Clear();
        }
    }
}
