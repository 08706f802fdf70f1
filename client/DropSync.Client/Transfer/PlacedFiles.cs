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
/// </summary>
internal sealed partial class PlacedFiles(string root)
{
    private int _placed;

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
        if (Interlocked.Exchange(ref _placed, 0) == 0 || FlushesEachFile)
        {
            return;
        }

        try
        {
            Flush(root, wholeFileSystem: true, $"the downloaded files under {root}");
        }
        catch (IOException)
        {
            // Not committed: the entries wait for the next commit, which tries again.
            Volatile.Write(ref _placed, 1);
            throw;
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
        Flush(folder, wholeFileSystem: false, $"the folder {folder}");
    }

    /// <summary>Opens <paramref name="folder"/> and flushes its file system (<c>syncfs</c>) or the folder itself (<c>fsync</c>).</summary>
    private static void Flush(string folder, bool wholeFileSystem, string what)
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
