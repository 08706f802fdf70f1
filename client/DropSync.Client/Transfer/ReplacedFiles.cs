using System.Runtime.InteropServices;

namespace DropSync.Client.Transfer;

/// <summary>
/// Frees the space of a large file that a download replaces (or a deletion from the server removes) once the sync has
/// put things in place, not on its way there. The rename that puts a new version over an old one, or the unlink of a
/// deleted one, also frees the old one's blocks; where the file system discards freed blocks at once (ext4 mounted with
/// <c>discard</c>, as this project's VMs are, and many cloud images), that is a synchronous TRIM: 0.5–0.6 s per GiB
/// here, measured with a bare unlink whether or not the file was cached, ~0 CPU (docs/performance/client-history.md,
/// "Round 21"). So first the old file gets a second name in the state folder's temp folder (a hard link: no data
/// moves); the rename or unlink then only drops a name, and the second name is deleted on the thread pool, one at a
/// time. A replace stays one atomic rename. Where no link can be made (another OS, a file system without hard links)
/// or the file is small, the rename or unlink frees it as before.
/// </summary>
internal sealed partial class ReplacedFiles
{
    /// <summary>Below this the unlink is cheap (milliseconds), not worth two more system calls.</summary>
    public const long MinSize = 8L * 1024 * 1024;

    private const string Extension = ".dropsync-old";

    private readonly Lock _lock = new();
    private Task _freeing = Task.CompletedTask;
    private bool _leftoversCleared;

    /// <summary>
    /// Before <paramref name="fullPath"/> (<paramref name="size"/> bytes) is replaced by a rename: its second name in
    /// <paramref name="tempFolder"/>, to pass to <see cref="Free"/> after the rename (or after a failed one); null when
    /// the rename should just go ahead.
    /// </summary>
    public static string? Hold(string fullPath, long size, string tempFolder)
    {
        if (size < MinSize || !OperatingSystem.IsLinux())
        {
            return null;
        }

        var held = Path.Combine(tempFolder, Guid.NewGuid().ToString("N") + Extension);
        return Link(fullPath, held) == 0 ? held : null;
    }

    /// <summary>
    /// Runs <paramref name="remove"/> (a rename over <paramref name="file"/>, or its deletion), the file's space freed
    /// behind it when it exists (as <paramref name="file"/> last saw) with ≥ <see cref="MinSize"/> bytes.
    /// </summary>
    public void FreeBehind(FileInfo file, string tempFolder, Action remove)
    {
        var held = file.Exists ? Hold(file.FullName, file.Length, tempFolder) : null;
        try
        {
            remove();
        }
        finally
        {
            if (held is not null)
            {
                Free(held);
            }
        }
    }

    /// <summary>Deletes <paramref name="held"/> (from <see cref="Hold"/>) on the thread pool, after the ones before it.</summary>
    public void Free(string held)
    {
        lock (_lock)
        {
            _freeing = DeleteAfterAsync(_freeing, held);
        }
    }

    /// <summary>Completes when every file given to <see cref="Free"/> so far is deleted (a one-shot sync waits before its process ends).</summary>
    public Task SettleAsync()
    {
        lock (_lock)
        {
            return _freeing;
        }
    }

    /// <summary>
    /// Once per engine, before its first sync: deletes the second names an earlier process left in
    /// <paramref name="tempFolder"/> (it ended before freeing them). Part files of interrupted downloads stay.
    /// </summary>
    public void ClearLeftoversOnce(string tempFolder)
    {
        lock (_lock)
        {
            if (_leftoversCleared)
            {
                return;
            }

            _leftoversCleared = true;
        }

        foreach (var leftover in Directory.EnumerateFiles(tempFolder, "*" + Extension))
        {
            TryDelete(leftover);
        }
    }

    private static async Task DeleteAfterAsync(Task before, string held)
    {
        await before;
        await Task.Run(() => TryDelete(held));
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only space: the next engine's ClearLeftoversOnce tries again.
        }
    }

    // No .NET API makes a hard link (only symbolic ones); link(2) from libc.
    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string existing, string newPath);
}
