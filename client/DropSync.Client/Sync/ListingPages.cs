using DropSync.Client.Api;
using DropSync.Core.Paths;

namespace DropSync.Client.Sync;

/// <summary>
/// How the cursor source takes a listing's pages (<c>/files/list_folder</c> or <c>/files/list_folder/continue</c>): in
/// order, the next one asked for before this one is applied, and each page's changes stored in the index with that
/// page's cursor while the listing goes on.
/// </summary>
internal static class ListingPages
{
    /// <summary>Stores one page's changes to the server's tree (null = deleted) with the cursor after them; <c>replace</c> drops the stored tree first.</summary>
    public delegate void Store(IReadOnlyDictionary<string, RemoteEntry?> changes, string cursor, bool replace);

    /// <summary>
    /// How many changes are stored together, in one transaction of the index (a page is 2,000 entries). A transaction per
    /// page (51 for a first listing of 100,000 entries) made that download no faster overall in six pairs against one
    /// store at the end, its downloads slower in five; eight pages to a transaction keeps what a cut-off listing loses small.
    /// </summary>
    public const int StoreEvery = 16_000;

    /// <summary>
    /// Applies each page to <paramref name="tree"/> (and its changes to <paramref name="changed"/>, when given) and stores
    /// them every <paramref name="storeEvery"/> changes with the cursor of the page they end at, one store after another
    /// on the thread pool, so the stored tree and cursor agree after every store. The stores run beside the listing
    /// instead of after it (a first listing of 100,000 entries took 0.75–0.9 s to store, all of it before planning could
    /// start), and a listing cut off part way (a lost connection, a laptop put to sleep) goes on from its last stored page
    /// next time instead of from the start. Answers the last cursor once everything is stored; on failure, fails once no
    /// store is running any more (the index may be closed next).
    /// </summary>
    /// <param name="replace">Whether the first store drops the stored tree first (a listing afresh).</param>
    /// <param name="storeEvery">How many changes are gathered before they are stored, with the cursor of the page that completes them; the last page is stored whatever its count.</param>
    public static async Task<string> FollowAndStoreAsync(
        Task<ChangePage> first, Func<string, Task<ChangePage>> continueAfter, RemoteTree tree, Dictionary<string, RemoteEntry?>? changed, bool replace, Store store,
        int storeEvery = StoreEvery)
    {
        var stored = Task.CompletedTask;
        var pending = new Dictionary<string, RemoteEntry?>(StringComparer.Ordinal);
        string cursor;
        try
        {
            cursor = await FollowAsync(first, continueAfter, page =>
            {
                Apply(tree, page.Entries, pending);
                if (pending.Count >= storeEvery || !page.HasMore)
                {
                    if (changed is not null)
                    {
                        foreach (var (key, entry) in pending)
                        {
                            changed[key] = entry;
                        }
                    }

                    stored = StoreAfterAsync(stored, pending, page.Cursor, replace, store);
                    pending = new Dictionary<string, RemoteEntry?>(StringComparer.Ordinal);
                    replace = false;
                }
            });
        }
        catch
        {
            await stored.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }

        await stored;
        return cursor;
    }

    private static async Task StoreAfterAsync(Task previous, IReadOnlyDictionary<string, RemoteEntry?> changes, string cursor, bool replace, Store store)
    {
        // In page order: a page is stored only after the one before it was (and not at all if that failed).
        await previous;
        await Task.Run(() => store(changes, cursor, replace));
    }

    /// <summary>
    /// Hands each page from <paramref name="first"/> on to <paramref name="apply"/>, in order, and answers the last page's
    /// cursor. The next page is asked for before this one is applied: the server reads and encodes the next entries while
    /// this client applies these (a first listing of 100,000 entries is 50 pages).
    /// </summary>
    public static async Task<string> FollowAsync(Task<ChangePage> first, Func<string, Task<ChangePage>> continueAfter, Action<ChangePage> apply)
    {
        var pending = first;
        while (true)
        {
            var page = await pending;
            var next = page.HasMore ? continueAfter(page.Cursor) : null;

            try
            {
                apply(page);
            }
            catch when (next is not null)
            {
                // Not left running unobserved: wait for it, whatever it answers.
                await ((Task)next).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                throw;
            }

            if (next is null)
            {
                return page.Cursor;
            }

            pending = next;
        }
    }

    /// <summary>Applies feed entries in order; <paramref name="changed"/> collects what to write back (null = deleted).</summary>
    public static void Apply(RemoteTree tree, IReadOnlyList<RemoteChange> entries, Dictionary<string, RemoteEntry?>? changed)
    {
        foreach (var e in entries)
        {
            if (e.Path is "" or "/")
            {
                continue;
            }

            var key = DropPath.Parse(e.Path, allowRoot: false).Key;
            if (e.Tag == "deleted")
            {
                // A deleted folder is listed alone: everything below it goes too.
                foreach (var gone in tree.KeysBelow(key).Append(key).Where(tree.ContainsKey).ToList())
                {
                    tree.Remove(gone);
                    if (changed is not null)
                    {
                        changed[gone] = null;
                    }
                }
            }
            else if (e.Tag is "file" or "folder")
            {
                var entry = e.ToEntry();
                tree.Set(key, entry);
                if (changed is not null)
                {
                    changed[key] = entry;
                }
            }
        }
    }
}
