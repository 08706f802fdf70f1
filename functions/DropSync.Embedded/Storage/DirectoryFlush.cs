using System.ComponentModel;
using System.Runtime.InteropServices;

namespace DropSync.Embedded.Storage;

/// <summary>
/// Makes a directory's entries durable: after <c>rename(2)</c> a file's data is on disk (it was fsynced), but the new
/// name is not until the directory itself is fsynced — a power cut could otherwise lose a block that committed
/// metadata already points at. Hand-written: .NET has no API for it (FileStream refuses to open a directory) and no
/// well-kept package binds the three libc calls without native assets of its own.
/// </summary>
public static partial class DirectoryFlush
{
    /// <summary>fsyncs <paramref name="directory"/> on Linux and macOS; a no-op on Windows, where NTFS journals renames.</summary>
    public static void Flush(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // O_RDONLY (0) on every Unix; no O_DIRECTORY or O_CLOEXEC since their values differ between platforms, and the
        // descriptor lives only for this call.
        var fd = Open(directory, 0);
        if (fd < 0)
        {
            throw new IOException($"Could not open the directory \"{directory}\" to flush it: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"Could not flush the directory \"{directory}\" to disk: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>Creates <paramref name="directory"/> if needed; when it is new, flushes its parent so the new folder lasts too.</summary>
    public static void CreateDurably(string directory)
    {
        if (Directory.Exists(directory))
        {
            return;
        }

        var parent = Path.GetDirectoryName(Path.GetFullPath(directory));
        if (parent is not null)
        {
            CreateDurably(parent);
        }

        Directory.CreateDirectory(directory);
        if (parent is not null)
        {
            Flush(parent);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
