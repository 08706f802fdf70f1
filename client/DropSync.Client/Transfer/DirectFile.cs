using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace DropSync.Client.Transfer;

/// <summary>Opens files for direct I/O (<c>O_DIRECT</c>: no copy through the page cache), where Linux and the file system allow it.</summary>
internal static partial class DirectFile
{
    /// <summary>O_DIRECT's value, which differs between architectures (asm-generic vs x86); 0 where it is not used.</summary>
    private static int DirectFlag => !OperatingSystem.IsLinux() ? 0 : RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 0x4000,
        Architecture.Arm64 => 0x10000,
        _ => 0,
    };

    /// <summary>
    /// A write-only direct handle on the existing file at <paramref name="path"/>; null where direct I/O is not to be
    /// had (another OS, or a file system that refuses it, as tmpfs does), and the caller writes as usual.
    /// </summary>
    public static SafeFileHandle? TryOpenForWrite(string path)
    {
        if (DirectFlag == 0)
        {
            return null;
        }

        // O_WRONLY | O_CLOEXEC | O_DIRECT; the file exists (the caller made it), so no mode.
        var fd = Open(path, 0x1 | 0x80000 | DirectFlag, 0);
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : null;
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);
}
