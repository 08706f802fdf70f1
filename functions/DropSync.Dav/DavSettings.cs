namespace DropSync.Dav;

/// <summary>How the host runs WebDAV.</summary>
/// <param name="UnavailableReason">Null when /dav/ is served; otherwise why not (AWS mode: see docs/webdav.md).</param>
/// <param name="AvailableBytes">Free space for quota-available-bytes, or null where the server cannot tell.</param>
public sealed record DavSettings(string? UnavailableReason, Func<long?> AvailableBytes);
