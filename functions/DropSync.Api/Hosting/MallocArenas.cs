using System.Runtime.InteropServices;

namespace DropSync.Api.Hosting;

/// <summary>
/// Caps glibc's malloc arenas (issue 12, memory). glibc gives threads that contend on malloc arenas of their own (up to
/// 8 per core) and keeps what each once used, so a server whose thread-pool threads take turns moving blocks grows its
/// RSS over a long transfer (measured: half the 12–17 MiB creep of a 10 GiB run, docs/performance/server-history.md,
/// "Third round"). Two arenas are enough: managed code allocates from the GC heap, and native allocations here are
/// SQLite's and OpenSSL's small ones. Same effect as the MALLOC_ARENA_MAX=2 environment variable
/// (https://man7.org/linux/man-pages/man3/mallopt.3.html), set from code so every way of starting the server gets it.
/// </summary>
internal static partial class MallocArenas
{
    /// <summary><c>M_ARENA_MAX</c> from glibc's malloc.h.</summary>
    private const int ArenaMaxParameter = -8;

    public static void Cap(int arenas = 2)
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is not null)
        {
            return;
        }

        try
        {
            _ = SetMallocOption(ArenaMaxParameter, arenas);
        }
        catch (EntryPointNotFoundException)
        {
            // Not glibc (musl has no mallopt): nothing to cap.
        }
        catch (DllNotFoundException)
        {
        }
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int SetMallocOption(int parameter, int value);
}
