using DropSync.Embedded.Storage;
using Microsoft.Win32.SafeHandles;

namespace DropSync.Embedded.Blocks;

/// <summary>
/// A block file written to its temp name but not yet durable (<see cref="BlockFileIo.WriteTemp"/>): <see cref="Complete"/>
/// flushes it, renames it into place and flushes the folder. Until then no reader can see it, and a crash leaves a
/// stray temp file that the store deletes when it opens.
/// </summary>
internal sealed class PendingBlockFile(SafeFileHandle handle, string temp, string path, ShardFolders folders)
{
    /// <summary>Flushes the file to disk, renames it to its block's name and flushes the folder; on failure the temp file is deleted.</summary>
    public void Complete()
    {
        try
        {
            using (handle)
            {
                RandomAccess.FlushToDisk(handle);
            }

            var folder = Path.GetDirectoryName(path)!;
            folders.EnsureDurable(folder);
            try
            {
                MoveIntoPlace(folder);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Where the destination cannot be replaced while open (Windows), the block is stored already: done.
                BlockFileIo.TryDelete(temp);
            }
        }
        catch
        {
            BlockFileIo.TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// rename(2): atomic, and if a concurrent put of the same block got there first, replacing its identical content is
    /// harmless (readers that opened the old file keep reading it). The folder's flush makes the new name survive a power
    /// cut before any commit can point at it. A folder the store knew but that is gone (deleted behind its back) is created
    /// durably again and the rename retried once; a second failure is the caller's error.
    /// </summary>
    private void MoveIntoPlace(string folder)
    {
        try
        {
            File.Move(temp, path, overwrite: true);
        }
        catch (IOException) when (!Directory.Exists(folder))
        {
            folders.Forget(folder);
            folders.EnsureDurable(folder);
            File.Move(temp, path, overwrite: true);
        }

        DirectoryFlush.Flush(folder);
    }
}
