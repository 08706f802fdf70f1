using System.Runtime.InteropServices;
using DropSync.Core.Content;
using Microsoft.Win32.SafeHandles;

namespace DropSync.Embedded.Blocks;

/// <summary>
/// Whole block files in and out of disk, synchronously (callers run it on the thread pool: .NET's asynchronous file I/O
/// on Unix is the same blocking call queued to the pool, plus overhead). On Linux files are opened with <c>O_DIRECT</c>:
/// a block is encrypted in user space anyway, so copying it through the page cache cost a full extra pass of CPU per
/// byte (about 1 s per GiB written here) and kept gigabytes of ciphertext cached that nobody reads back soon. Where a
/// file system refuses <c>O_DIRECT</c> (tmpfs), the folder falls back to ordinary buffered I/O.
/// </summary>
internal sealed partial class BlockFileIo(string tempFolder, bool tryDirectIo)
{
    private const int ErrorInvalidArgument = 22; // EINVAL: the file system does not support O_DIRECT

    private bool _direct = tryDirectIo && DirectFlag != 0;

    /// <summary>The block folders made durable since the store opened (a <c>stat</c> per block saved).</summary>
    private readonly ShardFolders _folders = new();

    /// <summary>Whether files are currently read and written with direct I/O.</summary>
    public bool UsesDirectIo => _direct;

    /// <summary>O_DIRECT's value, which differs between architectures (asm-generic vs x86); 0 where it is not used.</summary>
    private static int DirectFlag => !OperatingSystem.IsLinux() ? 0 : RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 0x4000,
        Architecture.Arm64 => 0x10000,
        _ => 0,
    };

    /// <summary>
    /// Writes <paramref name="buffer"/>'s first <paramref name="fileLength"/> bytes (a <see cref="BlockBuffer.FileSpan"/>,
    /// which has room for the padding direct I/O needs) to a temp file; <see cref="PendingBlockFile.Complete"/> then
    /// flushes it and renames it into place, so no reader ever sees a partial block and a crash leaves at most a stray temp
    /// file. When this returns the bytes are in the file (with <c>O_DIRECT</c>, on the device or in its cache) and
    /// <paramref name="buffer"/> is free again: a media upload refills its buffer while the flushes (milliseconds of
    /// waiting, little CPU) run.
    /// </summary>
    public PendingBlockFile WriteTemp(string path, Span<byte> buffer, int fileLength)
    {
        var temp = Path.Combine(tempFolder, $"{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        SafeFileHandle? handle = null;
        try
        {
            handle = OpenNew(temp, fileLength, out var direct);
            if (direct)
            {
                WriteDirect(handle, buffer, fileLength);
            }
            else
            {
                RandomAccess.Write(handle, buffer[..fileLength], 0);
            }

            return new PendingBlockFile(handle, temp, path, _folders);
        }
        catch
        {
            handle?.Dispose();
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Writes the whole aligned sectors with <c>O_DIRECT</c>, then the last partial sector (a block file is never a whole
    /// number of sectors: its header is 106 bytes) through the page cache, after clearing <c>O_DIRECT</c> on the open
    /// file. Before, the padded last sector went out direct and <c>ftruncate</c> cut it back, and ext4 then read that
    /// sector back from disk to zero its tail: a synchronous read and its device round trip per block (0.035 CPU-s per
    /// GiB in round 15's profile). The fsync that follows writes the one cached page.
    /// </summary>
    private static void WriteDirect(SafeFileHandle handle, Span<byte> buffer, int fileLength)
    {
        var aligned = fileLength & ~(BlockBuffer.Alignment - 1);
        if (aligned > 0)
        {
            RandomAccess.Write(handle, buffer[..aligned], 0);
        }

        if (aligned == fileLength)
        {
            return;
        }

        // F_SETFL changes only the status flags (O_DIRECT, O_APPEND, O_NONBLOCK, ...): 0 clears O_DIRECT and leaves the
        // write-only access mode as it is.
        if (Fcntl(handle, SetStatusFlags, 0) == 0)
        {
            RandomAccess.Write(handle, buffer[aligned..fileLength], aligned);
            return;
        }

        // Not expected on Linux; the old way is still correct: the padded sector direct, then the file cut to its length.
        var padded = BlockBuffer.AlignUp(fileLength);
        buffer[fileLength..padded].Clear();
        RandomAccess.Write(handle, buffer[aligned..padded], aligned);
        RandomAccess.SetLength(handle, fileLength);
    }

    /// <summary>
    /// Reads the whole file at <paramref name="path"/> into <paramref name="buffer"/> if it is at most
    /// <paramref name="maxLength"/> bytes; returns its length either way (a longer file is not read). Throws
    /// <see cref="FileNotFoundException"/> or <see cref="DirectoryNotFoundException"/> when there is no such file.
    /// </summary>
    public long ReadWhole(string path, Span<byte> buffer, int maxLength)
    {
        using var handle = OpenExisting(path, out var direct);
        var length = RandomAccess.GetLength(handle);
        if (length > maxLength)
        {
            return length;
        }

        var wanted = direct ? BlockBuffer.AlignUp((int)length) : (int)length;
        var done = 0;
        while (done < length)
        {
            var n = RandomAccess.Read(handle, buffer[done..wanted], done);
            if (n == 0)
            {
                return done; // shrank while being read: the caller sees a short file
            }

            done += n;
        }

        return length;
    }

    public void DeleteStaleTempFiles()
    {
        foreach (var file in Directory.EnumerateFiles(tempFolder))
        {
            TryDelete(file);
        }
    }

    private SafeFileHandle OpenNew(string path, int length, out bool direct)
    {
        direct = _direct;
        if (direct)
        {
            // O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode 0666 (less the umask), as .NET creates files.
            var fd = Open(path, 0x1 | 0x40 | 0x80 | 0x80000 | DirectFlag, 0x1B6);
            if (fd >= 0)
            {
                return new SafeFileHandle(fd, ownsHandle: true);
            }

            FallBackIfUnsupported();
            direct = false;
        }

        return File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.None, preallocationSize: length);
    }

    private SafeFileHandle OpenExisting(string path, out bool direct)
    {
        direct = _direct;
        if (direct)
        {
            // O_RDONLY | O_CLOEXEC
            var fd = Open(path, 0x80000 | DirectFlag, 0);
            if (fd >= 0)
            {
                return new SafeFileHandle(fd, ownsHandle: true);
            }

            FallBackIfUnsupported();
            direct = false;
        }

        return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.SequentialScan);
    }

    /// <summary>After a failed open with O_DIRECT: EINVAL means the file system lacks it (use buffered I/O from now on); any other error is reported by the ordinary open that follows.</summary>
    private void FallBackIfUnsupported()
    {
        if (Marshal.GetLastPInvokeError() == ErrorInvalidArgument)
        {
            _direct = false;
        }
    }

    internal static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a stray temp file is only wasted space, cleaned at the next start.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    private const int SetStatusFlags = 4; // F_SETFL, the same on every Linux architecture

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(SafeFileHandle fd, int command, int argument);
}
