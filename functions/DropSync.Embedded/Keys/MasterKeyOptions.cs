namespace DropSync.Embedded.Keys;

/// <summary>Where the master key comes from (bound from the <c>DropSync</c> configuration section).</summary>
public sealed class MasterKeyOptions
{
    /// <summary>
    /// <c>DropSync:MasterKey</c>: the master key as base64 of 32 bytes (for example from a secret store, or the environment
    /// variable <c>DropSync__MasterKey</c>). When set, it wins over any key file.
    /// </summary>
    public string? MasterKey { get; set; }

    /// <summary>
    /// <c>DropSync:KeysFolder</c>: where generated key files are kept. Must be outside the data folder. Defaults to
    /// <c>$XDG_CONFIG_HOME/dropsync/keys</c>, else <c>~/.config/dropsync/keys</c> (on Windows, <c>%APPDATA%\dropsync\keys</c>).
    /// </summary>
    public string? KeysFolder { get; set; }
}
