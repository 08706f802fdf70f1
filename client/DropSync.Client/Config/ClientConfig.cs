using System.Text.Json;
using DropSync.Client.Api;

namespace DropSync.Client.Config;

/// <summary>One signed-in device of one account on one server.</summary>
public sealed record Account(string Server, string Email, string AccessToken, string DeviceId, string DeviceName);

/// <summary>
/// The user's config folder (default <c>~/.config/dropsync</c>; <c>--config</c> picks another, so several devices can
/// live on one machine): one file per account holding its device token (mode 600), which account is current, and the
/// sync folders that have been synced (so a vanished one is noticed).
/// </summary>
public sealed class ClientConfig(string folder)
{
    public string Folder { get; } = Path.GetFullPath(folder);

    public static string DefaultFolder =>
        Environment.GetEnvironmentVariable("DROPSYNC_CONFIG") is { Length: > 0 } env
            ? env
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.Create), "dropsync");

    private string AccountsFolder => Path.Combine(Folder, "accounts");
    private string CurrentFile => Path.Combine(Folder, "current");
    private string FoldersFile => Path.Combine(Folder, "folders.json");

    public static string AccountId(Account a) =>
        string.Concat($"{a.Email}@{new Uri(a.Server).Authority}".Select(c => char.IsLetterOrDigit(c) || c is '@' or '.' or '-' or '_' ? c : '_'));

    public void Save(Account account)
    {
        Directory.CreateDirectory(AccountsFolder);
        var id = AccountId(account);
        WritePrivate(Path.Combine(AccountsFolder, id + ".json"), JsonSerializer.Serialize(account, ConfigJsonContext.Default.Account));
        WritePrivate(CurrentFile, id);
    }

    public Account? Current()
    {
        if (!File.Exists(CurrentFile))
        {
            return null;
        }

        var file = Path.Combine(AccountsFolder, File.ReadAllText(CurrentFile).Trim() + ".json");
        return File.Exists(file) ? JsonSerializer.Deserialize(File.ReadAllText(file), ConfigJsonContext.Default.Account) : null;
    }

    public void Remove(Account account)
    {
        File.Delete(Path.Combine(AccountsFolder, AccountId(account) + ".json"));
        if (File.Exists(CurrentFile) && File.ReadAllText(CurrentFile).Trim() == AccountId(account))
        {
            File.Delete(CurrentFile);
        }
    }

    /// <summary>The sync folders synced before, with the account each belongs to.</summary>
    public Dictionary<string, string> KnownFolders() =>
        File.Exists(FoldersFile) ? JsonSerializer.Deserialize(File.ReadAllText(FoldersFile), ConfigJsonContext.Default.DictionaryStringString) ?? [] : [];

    public void RememberFolder(string path, Account account)
    {
        var known = KnownFolders();
        known[Path.GetFullPath(path)] = AccountId(account);
        Directory.CreateDirectory(Folder);
        WritePrivate(FoldersFile, JsonSerializer.Serialize(known, ConfigJsonContext.Default.DictionaryStringString));
    }

    private static void WritePrivate(string path, string text)
    {
        var temp = path + ".tmp";
        using (var stream = OperatingSystem.IsWindows()
            ? new FileStream(temp, FileMode.Create, FileAccess.Write)
            : new FileStream(temp, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temp, path, overwrite: true);
    }
}
