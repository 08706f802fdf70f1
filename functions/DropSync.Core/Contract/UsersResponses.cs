namespace DropSync.Core.Contract;

/// <summary>What the caller's files take (<c>POST /users/get_space_usage</c>).</summary>
/// <param name="Used">Bytes of the caller's current files (what the quota counts, as Dropbox does).</param>
/// <param name="Allocated">The caller's quota in bytes (DropSync:StorageQuota).</param>
/// <param name="History">Bytes of replaced revisions and deleted files still kept by the retention policy.</param>
public sealed record SpaceUsageResponse(long Used, long Allocated, long History);
