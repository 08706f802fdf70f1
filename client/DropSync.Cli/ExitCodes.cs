namespace DropSync.Cli;

/// <summary>Exit codes: meaningful to scripts.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Error = 1;
    public const int Usage = 2;
    public const int NotSignedIn = 3;
    public const int Unreachable = 4;
    /// <summary>A safety net stopped the sync (missing or empty folder, mass deletion): check, then use --force.</summary>
    public const int SafetyStop = 5;
    /// <summary>The sync finished but some files failed; run it again.</summary>
    public const int Partial = 6;
    public const int Interrupted = 130;
}
