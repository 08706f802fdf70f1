namespace DropSync.Client.Api;

public sealed partial class DropSyncApi
{
    /// <summary>
    /// Every item of a paged account listing (devices, app passwords, invitations): the server answers up to 1,000 a
    /// page, so ask again with the cursor while has_more.
    /// </summary>
    private async Task<IReadOnlyList<T>> ListAllAsync<TPage, T>(
        string url, Func<TPage, (IReadOnlyList<T> Items, string? Cursor, bool HasMore)> read, CancellationToken ct)
    {
        var all = new List<T>();
        string? cursor = null;
        while (true)
        {
            var (items, next, hasMore) = read(await PostAsync<CursorRequest, TPage>(url, new(cursor), ct));
            all.AddRange(items);
            if (!hasMore || next is null)
            {
                return all;
            }

            cursor = next;
        }
    }
}
