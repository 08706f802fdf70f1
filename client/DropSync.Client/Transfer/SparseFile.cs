using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace DropSync.Client.Transfer;

/// <summary>
/// Where a file has holes (ranges never written, which read as zeros and take no disk): an interrupted download's part
/// file is set to the file's full length at the start, so on resume most of it may be holes, and reading and hashing
/// them only to find they do not match is a full pass of SHA-256 over nothing (seconds for a large file). Hand-written:
/// .NET has no API for <c>lseek(SEEK_DATA/SEEK_HOLE)</c>.
/// </summary>
internal static partial class SparseFile
{
    // Linux's values (lseek(2)); other systems differ (macOS swaps them) and are not asked.
    private const int SeekData = 3;
    private const int SeekHole = 4;
    private const int NoDataAfter = 6; // ENXIO

    /// <summary>
    /// False when the file system says part of [<paramref name="offset"/>, + <paramref name="length"/>) is a hole, so
    /// the range was never wholly written; true otherwise, including wherever holes cannot be asked about (another OS, a
    /// file system without SEEK_DATA), so the caller reads and checks the bytes as before. A false answer can only cost
    /// a re-fetch (a file system that stores written zeros as a hole, as ZFS with compression may), never wrong bytes.
    /// </summary>
    public static bool MayHoldData(SafeFileHandle handle, long offset, long length)
    {
        if (!OperatingSystem.IsLinux() || length <= 0)
        {
            return true;
        }

        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var fd = (int)handle.DangerousGetHandle();
            var data = LSeek(fd, offset, SeekData);
            if (data < 0)
            {
                // ENXIO: nothing but a hole from the offset to the end of the file. Anything else (EINVAL: not supported): read.
                return Marshal.GetLastPInvokeError() != NoDataAfter;
            }

            if (data > offset)
            {
                return false;
            }

            var hole = LSeek(fd, offset, SeekHole);
            return hole < 0 || hole >= offset + length;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long LSeek(int fd, long offset, int whence);
}
