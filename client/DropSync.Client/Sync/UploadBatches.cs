namespace DropSync.Client.Sync;

/// <summary>
/// Sizes and splits <c>/files/upload_batch</c> requests. A batch's request is a multipart body: a JSON manifest (one
/// entry per file) and one part per file. The estimate is on the safe side, so a batch the planner accepts is never
/// bigger than the server's <c>max_batch_bytes</c> (AWS: 4 MiB, from Lambda's 6 MB payload after base64).
/// </summary>
public static class UploadBatches
{
    /// <summary>The multipart framing and the manifest's opening and closing, whatever the files.</summary>
    public const long FixedBytes = 1024;

    /// <summary>
    /// What one file adds to a batch request: its bytes, its part's boundary and headers (about 170 bytes), and its
    /// manifest entry (mode, rev and the path JSON-escaped, at most 6 bytes a character).
    /// </summary>
    public static long PartBytes(string path, long size) => size + 384 + (6L * path.Length);

    /// <summary>
    /// Splits items in order into batches of at most <paramref name="perBatch"/> items whose request stays within
    /// <paramref name="maxRequestBytes"/> (an item too big for any batch goes alone; callers send such files on their own).
    /// </summary>
    public static List<List<T>> Split<T>(IReadOnlyList<T> items, Func<T, long> partBytes, int perBatch, long maxRequestBytes)
    {
        var batches = new List<List<T>>();
        var batch = new List<T>();
        long bytes = FixedBytes;
        foreach (var item in items)
        {
            var part = partBytes(item);
            if (batch.Count > 0 && (batch.Count >= perBatch || bytes + part > maxRequestBytes))
            {
                batches.Add(batch);
                batch = [];
                bytes = FixedBytes;
            }

            batch.Add(item);
            bytes += part;
        }

        if (batch.Count > 0)
        {
            batches.Add(batch);
        }

        return batches;
    }
}
