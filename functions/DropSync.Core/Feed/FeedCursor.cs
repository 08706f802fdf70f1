using System.Text;
using System.Text.Json;
using DropSync.Core.Accounts;

namespace DropSync.Core.Feed;

/// <summary>
/// Where a device is in the journals it reads: the scope it listed (path, recursive) and, per place it sees (its own
/// namespace, each share mounted in its tree), the last journal sequence it has. Opaque to clients (base64url JSON);
/// bound to the user, and re-authorised on every use, so a forged cursor reaches nothing the caller cannot.
/// </summary>
public sealed record FeedCursor(string UserId, string Scope, bool Recursive, IReadOnlyDictionary<string, long> Positions)
{
    private const int Version = 1;

    public string Encode() =>
        Ids.Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Wire(Version, UserId, Scope, Recursive, Positions.ToDictionary())));

    public static FeedCursor Decode(string? text, string userId)
    {
        try
        {
            var padded = (text ?? "").Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - (padded.Length % 4)) % 4);
            var wire = JsonSerializer.Deserialize<Wire>(Convert.FromBase64String(padded));
            if (wire is { V: Version } && wire.U == userId && wire.S is not null && wire.P is not null)
            {
                return new FeedCursor(wire.U, wire.S, wire.R, wire.P);
            }
        }
        catch (Exception e) when (e is FormatException or JsonException or DecoderFallbackException)
        {
            // Falls through to the error below.
        }

        throw Errors.Errors.BadRequest(Errors.ErrorCodes.InvalidCursor, "This cursor is not one this account was given; list the folder again to get a new one.");
    }

    private sealed record Wire(int V, string U, string S, bool R, Dictionary<string, long> P);
}
