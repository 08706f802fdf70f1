using DropSync.Client.Api;

namespace DropSync.Client.Tests.RandomizedSync;

/// <summary>What must hold once every device has synced until nothing is left to do.</summary>
internal static class SyncChecks
{
    /// <summary>
    /// Syncs every device, round after round in a random order, until a whole round does nothing. Each device needs
    /// at most one round to send its changes and one to fetch the others', plus one for a conflict they start, so
    /// a round more than the devices is already too many.
    /// </summary>
    public static async Task SyncUntilQuietAsync(SyncWorld world, Random random)
    {
        var allowed = world.Devices.Count + 2;
        for (var round = 1; round <= allowed; round++)
        {
            world.Log.Add($"-- quiet round {round}");
            var quiet = true;
            foreach (var device in world.Devices.OrderBy(_ => random.Next()).ToList())
            {
                quiet &= SyncWorld.IsQuiet(await world.SyncToFixedPointAsync(device));
            }

            if (quiet)
            {
                return;
            }
        }

        throw new SyncCheckException($"the devices were still changing things after {allowed} rounds of syncs.");
    }

    /// <summary>All devices hold the same tree with the same bytes, and it is the server's tree.</summary>
    public static async Task ConvergedAsync(SyncWorld world)
    {
        var first = world.Devices[0];
        var expected = DeviceTree.Of(first).Lines();
        foreach (var device in world.OwnerDevices.Skip(1))
        {
            var lines = DeviceTree.Of(device).Lines();
            if (!lines.SequenceEqual(expected))
            {
                throw new SyncCheckException($"{device.Name} differs from {first.Name}:\n{Diff(expected, lines)}");
            }
        }

        if (world.Member is { } member)
        {
            // The member sees the shared folder and nothing else (its own tree is empty but for it).
            var shared = expected.Where(l => l.StartsWith(SyncWorld.SharedFolder + "/", StringComparison.Ordinal)).ToList();
            var lines = DeviceTree.Of(member).Lines();
            if (!lines.SequenceEqual(shared))
            {
                throw new SyncCheckException($"the member's {SyncWorld.SharedFolder}/ differs from the owner's (- owner, + member):\n{Diff(shared, lines)}");
            }
        }

        var server = ServerLines(await first.Api.ListFolderAsync("", recursive: true, default), world);
        if (!server.SequenceEqual(expected))
        {
            throw new SyncCheckException($"the server differs from the devices (- devices, + server):\n{Diff(expected, server)}");
        }
    }

    /// <summary>
    /// The product keeps what it overwrites as revisions (list_revisions) and what two devices wrote at once as a
    /// conflicted copy: so every content a device held when it synced is on the server as a current file or as a
    /// revision of a path some file had, unless a user deleted it.
    /// </summary>
    public static async Task NothingLostAsync(SyncWorld world)
    {
        var api = world.Devices[0].Api;
        var current = await api.ListFolderAsync("", recursive: true, default);
        var onServer = new HashSet<string>(current.Where(e => e.IsFile).Select(e => world.AsPiecesHash(e.ContentHash!)), StringComparer.Ordinal);
        foreach (var path in world.PathsSeen.Concat(current.Where(e => e.IsFile).Select(e => e.Path)).Distinct(StringComparer.Ordinal))
        {
            try
            {
                onServer.UnionWith((await api.ListRevisionsAsync(path, 100, default)).Select(r => world.AsPiecesHash(r.ContentHash)));
            }
            catch (DropSyncApiException)
            {
                // No file ever had this path on the server (it was renamed before its first sync).
            }
        }

        var lost = world.Held.Keys.Where(h => !onServer.Contains(h) && !world.Deleted.Contains(h)).Select(world.NameOf).ToList();
        if (lost.Count > 0)
        {
            throw new SyncCheckException($"lost (held by a device, deleted by none, on the server neither as a file nor as a revision): {string.Join(", ", lost)}");
        }
    }

    /// <summary>The server's tree as <see cref="DeviceTree.Lines"/> writes a device's (block-list hashes mapped to Dropbox's).</summary>
    private static List<string> ServerLines(IEnumerable<RemoteEntry> entries, SyncWorld world) =>
        [.. entries
            .Where(e => e.Path.Trim('/').Length > 0)
            .Select(e => e.IsFolder ? e.Path.Trim('/') + "/" : $"{e.Path.Trim('/')} {world.AsPiecesHash(e.ContentHash!)}")
            .Order(StringComparer.Ordinal)];

    private static string Diff(IReadOnlyList<string> expected, IReadOnlyList<string> actual) =>
        string.Join('\n', expected.Except(actual).Select(l => "- " + l).Concat(actual.Except(expected).Select(l => "+ " + l)));
}
