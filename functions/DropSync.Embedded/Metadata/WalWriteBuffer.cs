using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DropSync.Embedded.Metadata;

/// <summary>
/// A thin SQLite VFS over the default one ("unix") that joins the group-commit writer's WAL writes into one write per
/// COMMIT. SQLite writes each WAL frame as two <c>pwrite</c>s (its 24-byte header, then the page), so a 16-write group
/// cost ≈ 300 system calls before its fsync. Here those writes, when they follow on from each other, are copied into a
/// buffer and written in a few calls (at most 124 KiB each) when SQLite next syncs, reads, sizes, truncates or closes the WAL, writes elsewhere in
/// it, or the buffer is full. Nothing is answered sooner: the COMMIT's sync writes the buffer and then fsyncs, as before,
/// and SQLite publishes a commit to readers (the wal-index header) only after that sync returned.
/// <para>
/// Only writes made on a thread that asked for it (<see cref="BufferOnThisThread"/>: the group-commit writer, whose
/// connection runs <c>synchronous=FULL</c>, so every commit syncs the WAL) are buffered. Any other thread's write
/// writes what is buffered first, then its own, so the file sees the same writes in the same order. Every other file
/// (the database, journals, temp files) is the default VFS's own, untouched.
/// </para>
/// </summary>
internal static unsafe partial class WalWriteBuffer
{
    private const int SqliteOk = 0;
    private const int SqliteOpenWal = 0x00080000;

    /// <summary>The buffer per WAL file: a 16-write group's frames (≈ 150 × 4,120 bytes) fit; larger transactions flush as they go.</summary>
    internal const int Capacity = 1024 * 1024;

    // The default VFS writes at most 128 KiB − 1 bytes a call (it masks the length with 0x1ffff), so a flush goes in pieces this large.
    private const int MaxWrite = 124 * 1024;

    // The inner file's struct starts here inside ours (SQLite allocates szOsFile bytes for every file it opens).
    private static readonly int InnerOffset = (sizeof(BufferedFile) + 15) & ~15;

    private static readonly Lock Gate = new();
    private static Vfs* _inner;
    private static Vfs* _vfs;
    private static IoMethods* _methods;
    private static long _flushes;

    [ThreadStatic]
    private static bool _buffering;

    /// <summary>Writes of buffered WAL data to the file so far (diagnostics and tests).</summary>
    internal static long Flushes => Interlocked.Read(ref _flushes);

    /// <summary>Makes this VFS SQLite's default, once per process; connections opened afterwards use it.</summary>
    public static void Register()
    {
        lock (Gate)
        {
            if (_vfs is not null)
            {
                return;
            }

            var inner = sqlite3_vfs_find(null);
            if (inner is null)
            {
                throw new InvalidOperationException("SQLite has no default VFS to wrap.");
            }

            var vfs = (Vfs*)NativeMemory.AllocZeroed((nuint)sizeof(Vfs));
            *vfs = *inner;
            vfs->pNext = null;
            vfs->szOsFile = InnerOffset + inner->szOsFile;
            vfs->zName = (byte*)Marshal.StringToCoTaskMemUTF8("dropsync-wal");
            vfs->xOpen = &Open;

            var methods = (IoMethods*)NativeMemory.AllocZeroed((nuint)sizeof(IoMethods));
            methods->iVersion = 1;
            methods->xClose = &Close;
            methods->xRead = &Read;
            methods->xWrite = &Write;
            methods->xTruncate = &Truncate;
            methods->xSync = &Sync;
            methods->xFileSize = &FileSize;
            methods->xLock = &LockFile;
            methods->xUnlock = &Unlock;
            methods->xCheckReservedLock = &CheckReservedLock;
            methods->xFileControl = &FileControl;
            methods->xSectorSize = &SectorSize;
            methods->xDeviceCharacteristics = &DeviceCharacteristics;

            _inner = inner;
            _methods = methods;
            var rc = sqlite3_vfs_register(vfs, 1);
            if (rc != SqliteOk)
            {
                throw new InvalidOperationException($"SQLite refused the WAL-buffering VFS (error {rc}).");
            }

            _vfs = vfs;
        }
    }

    /// <summary>From now on this thread's WAL writes are buffered until the next sync (call only on a thread whose connection syncs every commit).</summary>
    public static void BufferOnThisThread() => _buffering = true;

    [UnmanagedCallersOnly]
    private static int Open(Vfs* vfs, byte* name, SqliteFile* file, int flags, int* outFlags)
    {
        if ((flags & SqliteOpenWal) == 0)
        {
            // Not a WAL: the default VFS's file in our place, with its own methods.
            return _inner->xOpen(_inner, name, file, flags, outFlags);
        }

        var buffered = (BufferedFile*)file;
        *buffered = default;
        var inner = Inner(file);
        inner->pMethods = null;
        var rc = _inner->xOpen(_inner, name, inner, flags, outFlags);
        if (rc != SqliteOk)
        {
            if (inner->pMethods is not null)
            {
                inner->pMethods->xClose(inner);
            }

            return rc;
        }

        buffered->Base.pMethods = _methods;
        return SqliteOk;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static SqliteFile* Inner(SqliteFile* file) => (SqliteFile*)((byte*)file + InnerOffset);

    private static int Flush(SqliteFile* file)
    {
        var buffered = (BufferedFile*)file;
        if (buffered->Length == 0)
        {
            return SqliteOk;
        }

        var inner = Inner(file);
        var length = buffered->Length;
        buffered->Length = 0;
        Interlocked.Increment(ref _flushes);
        for (var done = 0; done < length; done += MaxWrite)
        {
            var rc = inner->pMethods->xWrite(inner, buffered->Buffer + done, Math.Min(MaxWrite, length - done), buffered->Offset + done);
            if (rc != SqliteOk)
            {
                return rc;
            }
        }

        return SqliteOk;
    }

    [UnmanagedCallersOnly]
    private static int Write(SqliteFile* file, void* data, int amount, long offset)
    {
        var buffered = (BufferedFile*)file;
        if (!_buffering || amount > Capacity)
        {
            var rc = Flush(file);
            return rc != SqliteOk ? rc : Inner(file)->pMethods->xWrite(Inner(file), data, amount, offset);
        }

        if (buffered->Length > 0 && (offset != buffered->Offset + buffered->Length || buffered->Length + amount > Capacity))
        {
            var rc = Flush(file);
            if (rc != SqliteOk)
            {
                return rc;
            }
        }

        if (buffered->Buffer is null)
        {
            buffered->Buffer = (byte*)NativeMemory.Alloc(Capacity);
        }

        if (buffered->Length == 0)
        {
            buffered->Offset = offset;
        }

        Buffer.MemoryCopy(data, buffered->Buffer + buffered->Length, Capacity - buffered->Length, amount);
        buffered->Length += amount;
        return SqliteOk;
    }

    [UnmanagedCallersOnly]
    private static int Read(SqliteFile* file, void* data, int amount, long offset)
    {
        var rc = Flush(file);
        return rc != SqliteOk ? rc : Inner(file)->pMethods->xRead(Inner(file), data, amount, offset);
    }

    [UnmanagedCallersOnly]
    private static int Sync(SqliteFile* file, int flags)
    {
        var rc = Flush(file);
        return rc != SqliteOk ? rc : Inner(file)->pMethods->xSync(Inner(file), flags);
    }

    [UnmanagedCallersOnly]
    private static int Truncate(SqliteFile* file, long size)
    {
        var rc = Flush(file);
        return rc != SqliteOk ? rc : Inner(file)->pMethods->xTruncate(Inner(file), size);
    }

    [UnmanagedCallersOnly]
    private static int FileSize(SqliteFile* file, long* size)
    {
        var rc = Flush(file);
        return rc != SqliteOk ? rc : Inner(file)->pMethods->xFileSize(Inner(file), size);
    }

    [UnmanagedCallersOnly]
    private static int Close(SqliteFile* file)
    {
        var buffered = (BufferedFile*)file;
        var flushed = Flush(file);
        NativeMemory.Free(buffered->Buffer);
        buffered->Buffer = null;
        var rc = Inner(file)->pMethods->xClose(Inner(file));
        return flushed != SqliteOk ? flushed : rc;
    }

    [UnmanagedCallersOnly]
    private static int FileControl(SqliteFile* file, int op, void* arg)
    {
        var rc = Flush(file);
        return rc != SqliteOk ? rc : Inner(file)->pMethods->xFileControl(Inner(file), op, arg);
    }

    [UnmanagedCallersOnly]
    private static int LockFile(SqliteFile* file, int level) => Inner(file)->pMethods->xLock(Inner(file), level);

    [UnmanagedCallersOnly]
    private static int Unlock(SqliteFile* file, int level) => Inner(file)->pMethods->xUnlock(Inner(file), level);

    [UnmanagedCallersOnly]
    private static int CheckReservedLock(SqliteFile* file, int* result) => Inner(file)->pMethods->xCheckReservedLock(Inner(file), result);

    [UnmanagedCallersOnly]
    private static int SectorSize(SqliteFile* file) => Inner(file)->pMethods->xSectorSize(Inner(file));

    [UnmanagedCallersOnly]
    private static int DeviceCharacteristics(SqliteFile* file) => Inner(file)->pMethods->xDeviceCharacteristics(Inner(file));

    [LibraryImport("e_sqlite3")]
    private static partial Vfs* sqlite3_vfs_find(byte* name);

    [LibraryImport("e_sqlite3")]
    private static partial int sqlite3_vfs_register(Vfs* vfs, int makeDefault);

    /// <summary>SQLite's <c>sqlite3_file</c>: every open file starts with its methods.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct SqliteFile
    {
        public IoMethods* pMethods;
    }

    /// <summary>A WAL file: SQLite's header, what is buffered and where it goes; the default VFS's file follows at <see cref="InnerOffset"/>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct BufferedFile
    {
        public SqliteFile Base;
        public byte* Buffer;
        public long Offset;
        public int Length;
    }

    /// <summary>SQLite's <c>sqlite3_io_methods</c>, version 1 (WAL files take no shared-memory or mmap calls: those go to the database file).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct IoMethods
    {
        public int iVersion;
        public delegate* unmanaged<SqliteFile*, int> xClose;
        public delegate* unmanaged<SqliteFile*, void*, int, long, int> xRead;
        public delegate* unmanaged<SqliteFile*, void*, int, long, int> xWrite;
        public delegate* unmanaged<SqliteFile*, long, int> xTruncate;
        public delegate* unmanaged<SqliteFile*, int, int> xSync;
        public delegate* unmanaged<SqliteFile*, long*, int> xFileSize;
        public delegate* unmanaged<SqliteFile*, int, int> xLock;
        public delegate* unmanaged<SqliteFile*, int, int> xUnlock;
        public delegate* unmanaged<SqliteFile*, int*, int> xCheckReservedLock;
        public delegate* unmanaged<SqliteFile*, int, void*, int> xFileControl;
        public delegate* unmanaged<SqliteFile*, int> xSectorSize;
        public delegate* unmanaged<SqliteFile*, int> xDeviceCharacteristics;
        public void* xShmMap;
        public void* xShmLock;
        public void* xShmBarrier;
        public void* xShmUnmap;
        public void* xFetch;
        public void* xUnfetch;
    }

    /// <summary>SQLite's <c>sqlite3_vfs</c> (version 3); only <c>xOpen</c> is replaced, the rest are the default VFS's.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Vfs
    {
        public int iVersion;
        public int szOsFile;
        public int mxPathname;
        public Vfs* pNext;
        public byte* zName;
        public void* pAppData;
        public delegate* unmanaged<Vfs*, byte*, SqliteFile*, int, int*, int> xOpen;
        public void* xDelete;
        public void* xAccess;
        public void* xFullPathname;
        public void* xDlOpen;
        public void* xDlError;
        public void* xDlSym;
        public void* xDlClose;
        public void* xRandomness;
        public void* xSleep;
        public void* xCurrentTime;
        public void* xGetLastError;
        public void* xCurrentTimeInt64;
        public void* xSetSystemCall;
        public void* xGetSystemCall;
        public void* xNextSystemCall;
    }
}
