using System.Text.Json;
using DropSync.Core.Accounts;

namespace DropSync.Core.Feed;

/// <summary>
/// Where a device is in the journals it reads: the scope it listed (path, recursive) and, per place it sees (its own
/// namespace, each share mounted in its tree), the last journal sequence it has. While a listing is still being paged,
/// <see cref="After"/> is the path key of the last entry handed out; once the listing is done it is null and the cursor
/// follows the journals from where the listing began. Opaque to clients: JSON sealed by <see cref="CursorSigner"/>,
/// bound to the user, and re-authorised on every use.
/// </summary>
public sealed record FeedCursor(string UserId, string Scope, bool Recursive, IReadOnlyDictionary<string, long> Positions, string? After = null)
{
    public const string Kind = "feed";
    private const int Version = 2;

    /// <summary>Seals the cursor; a cursor decoded or made by <see cref="ChangeFeed"/> carries its server's signer.</summary>
    public required CursorSigner Signer { get; init; }

    public string Encode() =>
        Signer.Seal(Kind, JsonSerializer.SerializeToUtf8Bytes(new Wire(Version, UserId, Scope, Recursive, Positions.ToDictionary(), After)));

    public static FeedCursor Decode(string? text, string userId, CursorSigner signer)
    {
        try
        {
            var wire = signer.Open(Kind, text) is { } payload ? JsonSerializer.Deserialize<Wire>(payload) : null;
            if (wire is { V: Version } && wire.U == userId && wire.S is not null && wire.P is not null)
            {
                return new FeedCursor(wire.U, wire.S, wire.R, wire.P, wire.A) { Signer = signer };
            }
        }
        catch (JsonException)
        {
            // Falls through to the error below.
        }

        throw Errors.Errors.BadRequest(Errors.ErrorCodes.InvalidCursor, "This cursor is not one this account was given; list the folder again to get a new one.");
    }

    private sealed record Wire(int V, string U, string S, bool R, Dictionary<string, long> P, string? A);
}
