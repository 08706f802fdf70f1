namespace DropSync.Core.Files;

/// <summary>Bounds on what one request or one user may ask of the server (issue 13).</summary>
public sealed partial class DropSyncOptions
{
    /// <summary>The largest JSON request body, checked while it is read (413 payload_too_large past it).</summary>
    public long MaxJsonBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Entries per listing page when the request names no limit.</summary>
    public int ListPageSize { get; set; } = 2000;

    /// <summary>The most entries a request may ask for in one listing page.</summary>
    public int MaxListPageSize { get; set; } = 10_000;

    /// <summary>Upload sessions one user may have open at once (429 too_many_upload_sessions past it).</summary>
    public int MaxUploadSessionsPerUser { get; set; } = 100;

    /// <summary>Notification ids per mark_read request (400 too_many_ids past it).</summary>
    public int MaxMarkReadIds { get; set; } = 1000;

    /// <summary>Entries one folder copy may create (409 too_many_files past it, as Dropbox answers).</summary>
    public int MaxCopyEntries { get; set; } = 10_000;

    /// <summary>How long a measured storage usage is trusted before the quota check measures again (commits add to it meanwhile).</summary>
    public TimeSpan QuotaUsageCacheLifetime { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A page size a request asked for, within [1, <see cref="MaxListPageSize"/>].</summary>
    public int PageSize(int? requested) => Math.Clamp(requested ?? ListPageSize, 1, Math.Max(1, MaxListPageSize));
}
