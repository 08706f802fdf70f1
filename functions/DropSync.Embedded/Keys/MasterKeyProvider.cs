using System.Security.Cryptography;
using System.Text;
using DropSync.Core.Errors;
using DropSync.Embedded.Storage;

namespace DropSync.Embedded.Keys;

/// <summary>
/// Finds the master key for a data folder. In order:
/// <list type="number">
/// <item>An explicit key (<see cref="MasterKeyOptions.MasterKey"/>, <c>DropSync:MasterKey</c>). If the data folder records
/// a different key id, it is refused.</item>
/// <item>The key file named by the key id the data folder records (<c>&lt;data&gt;/master-key-id</c>), read from the keys
/// folder: <c>&lt;keys&gt;/&lt;key id&gt;.key</c>, base64 of 32 bytes.</item>
/// <item>On first start (no key id recorded and no stored block), a newly generated key: written to the keys folder, which is
/// outside the data folder so a copy of the data is not also a copy of its key (mode 600 on Unix), and only its id written
/// into the data folder.</item>
/// </list>
/// The key never appears in an exception message or a log line; only its id does.
/// </summary>
public sealed class MasterKeyProvider(string dataFolder, MasterKeyOptions options)
{
    public const string KeyIdFileName = "master-key-id";
    public const string KeyFileExtension = ".key";

    private const string HowToSupply =
        "Supply the key either as DropSync:MasterKey (base64 of 32 bytes; environment variable DropSync__MasterKey) or by " +
        "restoring the key file";

    public string DataFolder { get; } = Path.GetFullPath(dataFolder);

    public string KeysFolder { get; } = Path.GetFullPath(options.KeysFolder is { Length: > 0 } folder ? folder : DefaultKeysFolder());

    public string KeyIdFile => Path.Combine(DataFolder, KeyIdFileName);

    public string KeyFileFor(string keyId) => Path.Combine(KeysFolder, keyId + KeyFileExtension);

    /// <summary><c>$XDG_CONFIG_HOME/dropsync/keys</c>, else <c>~/.config/dropsync/keys</c> (<c>%APPDATA%\dropsync\keys</c> on Windows).</summary>
    public static string DefaultKeysFolder()
    {
        var configHome = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        if (string.IsNullOrEmpty(configHome) || !Path.IsPathFullyQualified(configHome))
        {
            configHome = OperatingSystem.IsWindows()
                ? Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData)
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        }

        return Path.Combine(configHome, "dropsync", "keys");
    }

    /// <summary>Loads (or, on first start, creates) the data folder's master key. The caller owns and disposes it.</summary>
    public MasterKey GetOrCreate()
    {
        var recordedId = ReadRecordedKeyId();

        if (!string.IsNullOrWhiteSpace(options.MasterKey))
        {
            if (!MasterKey.TryFromBase64(options.MasterKey, out var explicitKey) || explicitKey is null)
            {
                throw KeyError("master_key_invalid", "DropSync:MasterKey is set but is not base64 of exactly 32 bytes.");
            }

            if (recordedId is not null && recordedId != explicitKey.KeyId)
            {
                var id = explicitKey.KeyId;
                explicitKey.Dispose();
                throw KeyError(
                    "master_key_mismatch",
                    $"DropSync:MasterKey has key id {id}, but the data folder {DataFolder} was encrypted with master key {recordedId} " +
                    $"(recorded in {KeyIdFile}). Set DropSync:MasterKey to the key with id {recordedId}, or unset it to use the key file " +
                    $"{KeyFileFor(recordedId)}.");
            }

            if (recordedId is null)
            {
                RecordKeyId(explicitKey.KeyId);
            }

            return explicitKey;
        }

        if (recordedId is not null)
        {
            return LoadKeyFile(recordedId);
        }

        EnsureNoStoredBlocks();
        EnsureKeysFolderOutsideData();
        var key = MasterKey.Generate();
        try
        {
            WriteKeyFile(key);
            RecordKeyId(key.KeyId);
            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private string? ReadRecordedKeyId()
    {
        string text;
        try
        {
            text = File.ReadAllText(KeyIdFile).Trim();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        if (text.Length != MasterKey.KeyIdSize * 2 || !text.All(char.IsAsciiHexDigitLower))
        {
            throw KeyError(
                "master_key_id_invalid",
                $"{KeyIdFile} should hold the master key id (16 lowercase hex digits) and nothing else, but does not. Restore it " +
                "from a backup of the data folder.");
        }

        return text;
    }

    private MasterKey LoadKeyFile(string keyId)
    {
        var path = KeyFileFor(keyId);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw KeyError(
                "master_key_missing",
                $"The data folder {DataFolder} is encrypted with master key {keyId}, but the key file {path} does not exist. " +
                $"{HowToSupply} {path} (its content is the key as base64). Without that key the stored blocks cannot be read.");
        }

        if (!MasterKey.TryFromBase64(text, out var key) || key is null)
        {
            throw KeyError("master_key_invalid", $"The key file {path} is not base64 of exactly 32 bytes. {HowToSupply} {path}.");
        }

        if (key.KeyId != keyId)
        {
            var actual = key.KeyId;
            key.Dispose();
            throw KeyError(
                "master_key_mismatch",
                $"The key file {path} holds master key {actual}, not {keyId} as its name says. {HowToSupply} {path} with the key whose id is {keyId}.");
        }

        return key;
    }

    /// <summary>A new key must never be generated for a folder that already holds blocks encrypted with some other key.</summary>
    private void EnsureNoStoredBlocks()
    {
        var blocks = Path.Combine(DataFolder, "blocks");
        if (Directory.Exists(blocks) && Directory.EnumerateFiles(blocks, "*", SearchOption.AllDirectories).Any())
        {
            throw KeyError(
                "master_key_missing",
                $"The data folder {DataFolder} holds encrypted blocks but no {KeyIdFileName} file, so its master key is unknown. " +
                $"Restore {KeyIdFile} from a backup, or set DropSync:MasterKey to the key the blocks were written with.");
        }
    }

    private void EnsureKeysFolderOutsideData()
    {
        var relative = Path.GetRelativePath(DataFolder, KeysFolder);
        var inside = relative == "." || !(relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative));
        if (inside)
        {
            throw KeyError(
                "master_key_folder_invalid",
                $"The keys folder {KeysFolder} is inside the data folder {DataFolder}; the master key must be kept apart from the data " +
                "it protects. Set DropSync:KeysFolder to a folder outside the data folder.");
        }
    }

    private void WriteKeyFile(MasterKey key)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(KeysFolder);
        }
        else
        {
            Directory.CreateDirectory(KeysFolder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        // The key file's own folder is flushed after the rename; its parent makes a folder created just now last too.
        DirectoryFlush.Flush(Path.GetDirectoryName(Path.GetFullPath(KeysFolder))!);

        var path = KeyFileFor(key.KeyId);
        var base64 = key.ToBase64();
        var bytes = Encoding.ASCII.GetBytes(base64);
        try
        {
            WriteAtomically(path, bytes, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }

        if (!OperatingSystem.IsWindows())
        {
            // The create mode is already 600; set it again in case the file existed with wider permissions.
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    private void RecordKeyId(string keyId)
    {
        DirectoryFlush.CreateDurably(DataFolder);
        WriteAtomically(KeyIdFile, Encoding.ASCII.GetBytes(keyId + "\n"), null);
    }

    /// <summary>Temp file beside the target, fsync, rename: a crash leaves either no file or the whole file.</summary>
    private static void WriteAtomically(string path, byte[] content, UnixFileMode? mode)
    {
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (mode is { } m && !OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = m;
        }

        try
        {
            using (var stream = new FileStream(temp, fileOptions))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
            DirectoryFlush.Flush(Path.GetDirectoryName(Path.GetFullPath(path))!);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    private static DropSyncException KeyError(string code, string message) => new(ErrorKind.Unavailable, code, message);
}
