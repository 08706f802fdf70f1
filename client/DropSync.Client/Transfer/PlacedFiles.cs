using System.ComponentModel;
using System.Runtime.InteropServices;

namespace DropSync.Client.Transfer;

/// <summary>
/// Makes the downloads put in place since the last index commit durable before that commit records them: once the
/// index names a file, its bytes and its name must survive a crash, or the next pass would take the empty (or missing)
/// file for a local edit (or deletion) and send it to the server. On Linux one <c>syncfs</c> of the sync folder's file
/// system per commit covers every file of it (content, inode and the rename's directory entry) for one device cache
/// flush, where an fsync per file and per folder would cost one each. Elsewhere each file is flushed before its rename
/// (<see cref="FlushesEachFile"/>).
/// Renames replayed here (a server move) are the same: the index may record a file or folder at its new place only once
/// the rename is durable, so the folders that lost and gained the name are fsynced before that commit, each once however
/// many moves of the pass touched it (<see cref="Renamed"/>).
/// </summary>
internal sealed partial class PlacedFiles(string root)
{
    private readonly Lock _lock = new();
    private readonly HashSet<string> _renamedIn = new(StringComparer.Ordinal);
    private int _placed;

    /// <summary>Test seam: told of each folder just before it (or its whole file system) is flushed; may throw as a failed flush would.</summary>
    internal Action<string>? Flushing { get; set; }

    /// <summary>True where <see cref="MakeDurable"/> cannot flush the whole file system: the writer flushes each file itself.</summary>
    public static bool FlushesEachFile => !OperatingSystem.IsLinux();

    /// <summary>A file was put in place (after its rename): the next commit must make it durable first.</summary>
    public void Placed() => Volatile.Write(ref _placed, 1);

    /// <summary>
    /// Called before the index commits. Files placed while this runs mark again and the next commit covers them; a file
    /// placed before it started is covered now, since its index entry is written only after its <see cref="Placed"/>.
    /// </summary>
    public void MakeDurable()
    {
        var folders = TakeRenamedFolders();
        if (Interlocked.Exchange(ref _placed, 0) == 1 && !FlushesEachFile)
        {
            try
            {
                // The syncfs covers the renames' folders too.
                Flush(root, wholeFileSystem: true, $"the downloaded files under {root}");
                return;
            }
            catch (IOException)
            {
                // Not committed: the entries wait for the next commit, which tries again.
                Volatile.Write(ref _placed, 1);
                KeepRenamedFolders(folders);
                throw;
            }
        }

        for (var i = 0; i < folders.Count; i++)
        {
            if (!Directory.Exists(folders[i]))
            {
                // Removed since (a folder emptied by the same pass): nothing of it is left to make durable, and
                // waiting for it would hold every later commit back.
                continue;
            }

            try
            {
                Flush(folders[i], wholeFileSystem: false, $"the rename in {folders[i]}");
            }
            catch (IOException)
            {
                KeepRenamedFolders(folders.Skip(i));
                throw;
            }
        }
    }

    /// <summary>
    /// A file or folder was renamed here (full paths, after the rename): the next commit fsyncs both parent folders
    /// before it records the new place. Nothing to do where a folder cannot be fsynced (<see cref="FlushesEachFile"/>).
    /// </summary>
    public void Renamed(string fromPath, string toPath)
    {
        if (FlushesEachFile)
        {
            return;
        }

        lock (_lock)
        {
            _renamedIn.Add(Path.GetDirectoryName(Path.GetFullPath(fromPath))!);
            _renamedIn.Add(Path.GetDirectoryName(Path.GetFullPath(toPath))!);
        }
    }

    private List<string> TakeRenamedFolders()
    {
        lock (_lock)
        {
            var folders = _renamedIn.Order(StringComparer.Ordinal).ToList();
            _renamedIn.Clear();
            return folders;
        }
    }

    private void KeepRenamedFolders(IEnumerable<string> folders)
    {
        lock (_lock)
        {
            _renamedIn.UnionWith(folders);
        }
    }

    /// <summary>
    /// Makes one placed file's rename durable now, by an fsync of its folder: for a large download, whose writer already
    /// flushed its bytes, so that a <c>syncfs</c> would only add every other dirty page of the file system to the wait.
    /// </summary>
    public static void SyncFolderOf(string path)
    {
        if (FlushesEachFile)
        {
            return;
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        FlushFolder(folder, wholeFileSystem: false, $"the folder {folder}");
    }

    /// <summary>Opens <paramref name="folder"/> and flushes its file system (<c>syncfs</c>) or the folder itself (<c>fsync</c>).</summary>
    private void Flush(string folder, bool wholeFileSystem, string what)
    {
        Flushing?.Invoke(folder);
        FlushFolder(folder, wholeFileSystem, what);
    }

    private static void FlushFolder(string folder, bool wholeFileSystem, string what)
    {
        // O_RDONLY | O_CLOEXEC: a folder opens read-only without O_DIRECTORY, whose value differs between architectures.
        var fd = Open(folder, 0x80000);
        if (fd < 0 || (wholeFileSystem ? SyncFs(fd) : FSync(fd)) != 0)
        {
            var error = Marshal.GetLastPInvokeError();
            if (fd >= 0)
            {
                _ = Close(fd);
            }

            throw new IOException($"Could not make {what} durable ({(wholeFileSystem ? "syncfs" : "fsync")}): {new Win32Exception(error).Message}");
        }

        _ = Close(fd);
    }

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    private static partial int SyncFs(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
