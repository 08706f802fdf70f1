using System.Text;
using DropSync.Core.Errors;

namespace DropSync.Core.Paths;

/// <summary>
/// A canonical path inside a namespace. Every path that enters DropSync passes through <see cref="Parse"/> once, at the
/// boundary: it is Unicode-normalised (NFC), checked, and given a <see cref="Key"/> (NFC, case-folded) under which
/// names that differ only by case or normalisation collide, as they would on macOS and Windows.
/// </summary>
public sealed record DropPath
{
    public const int MaxPathLength = 1024;
    public const int MaxNameBytes = 255;

    public static readonly DropPath Root = new("", "", []);

    private DropPath(string display, string key, string[] components)
    {
        Display = display;
        Key = key;
        Components = components;
    }

    /// <summary>The path as the user wrote it (NFC), "" for the root, otherwise "/a/b".</summary>
    public string Display { get; }

    /// <summary>The identity of the path: NFC and case-folded; two paths with one key are the same entry.</summary>
    public string Key { get; }

    public IReadOnlyList<string> Components { get; }

    public bool IsRoot => Components.Count == 0;

    public string Name => IsRoot ? "" : Components[^1];

    public DropPath Parent => IsRoot ? this : FromComponents(Components.Take(Components.Count - 1));

    /// <summary>The ancestors from the top down, excluding the root and this path.</summary>
    public IEnumerable<DropPath> Ancestors()
    {
        for (var i = 1; i < Components.Count; i++)
        {
            yield return FromComponents(Components.Take(i));
        }
    }

    /// <summary>The entry called <paramref name="name"/> in this folder; the name must be one valid name, not a path.</summary>
    public DropPath Child(string name)
    {
        if (name.Contains('/', StringComparison.Ordinal))
        {
            throw Errors.Errors.BadRequest(ErrorCodes.MalformedPath, "A name cannot contain \"/\".");
        }

        CheckUnicode(name);
        name = name.Normalize(NormalizationForm.FormC);
        CheckName(name);
        return Parse(Display + "/" + name, allowRoot: false);
    }

    /// <summary>True when <paramref name="other"/> is this path or lies below it.</summary>
    public bool Contains(DropPath other) =>
        IsRoot || other.Key == Key || other.Key.StartsWith(Key + "/", StringComparison.Ordinal);

    /// <summary>Re-roots a descendant of <paramref name="from"/> below <paramref name="to"/>.</summary>
    public DropPath Rebase(DropPath from, DropPath to)
    {
        if (!from.Contains(this))
        {
            throw new ArgumentException($"{Display} is not below {from.Display}", nameof(from));
        }

        var rebased = FromComponents(to.Components.Concat(Components.Skip(from.Components.Count)));
        return rebased.Display.Length > MaxPathLength ? throw TooLong() : rebased;
    }

    public static string KeyOf(string display) => display.ToLowerInvariant();

    /// <summary>Parses and checks a user-supplied path; throws a <c>malformed_path</c> error that says what is wrong.</summary>
    public static DropPath Parse(string? raw, bool allowRoot)
    {
        if (raw is null)
        {
            throw Errors.Errors.BadRequest(ErrorCodes.MalformedPath, "A path is required, for example \"/Documents/report.pdf\".");
        }

        if (raw.Length > MaxPathLength * 4)
        {
            throw TooLong();
        }

        CheckUnicode(raw);
        if (!raw.IsNormalized(NormalizationForm.FormC))
        {
            raw = raw.Normalize(NormalizationForm.FormC);
        }

        if (raw is "" or "/")
        {
            return allowRoot
                ? Root
                : throw Errors.Errors.BadRequest(ErrorCodes.MalformedPath, "This operation needs a file or folder path, not the root.");
        }

        if (raw[0] != '/')
        {
            throw Errors.Errors.BadRequest(ErrorCodes.MalformedPath, $"Paths start with \"/\" (got \"{Printable(raw)}\").");
        }

        if (raw.Length > MaxPathLength)
        {
            throw TooLong();
        }

        var parts = raw[1..].Split('/');
        if (parts[^1].Length == 0)
        {
            // A single trailing slash ("/a/") names the same folder; anything else empty is an error below.
            parts = parts[..^1];
        }

        foreach (var part in parts)
        {
            CheckName(part);
        }

        return FromComponents(parts);
    }

    private static void CheckName(string name)
    {
        if (name.Length == 0)
        {
            throw Errors.Errors.BadRequest(ErrorCodes.MalformedPath, "Paths cannot contain empty names (\"//\").");
        }

        if (name is "." or "..")
        {
            throw Errors.Errors.BadRequest(ErrorCodes.MalformedPath, "Paths cannot contain \".\" or \"..\"; give the full path from the root.");
        }

        foreach (var rune in name.EnumerateRunes())
        {
            if (Rune.IsControl(rune) || rune.Value == '\\')
            {
                throw Errors.Errors.BadRequest(ErrorCodes.MalformedPath, $"The name \"{Printable(name)}\" contains a control character or backslash, which DropSync does not allow.");
            }
        }

        if (Encoding.UTF8.GetByteCount(name) > MaxNameBytes)
        {
            throw Errors.Errors.BadRequest(ErrorCodes.MalformedPath, $"A name may be at most {MaxNameBytes} bytes of UTF-8.");
        }
    }

    /// <summary>Lone surrogates are not text: refuse them before normalisation, which would throw on them.</summary>
    private static void CheckUnicode(string text)
    {
        var rest = text.AsSpan();
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out _, out var used) != System.Buffers.OperationStatus.Done)
            {
                throw Errors.Errors.BadRequest(ErrorCodes.MalformedPath, "The path is not valid Unicode (it has a lone surrogate).");
            }

            rest = rest[used..];
        }
    }

    private static DropPath FromComponents(IEnumerable<string> components)
    {
        var array = components.ToArray();
        if (array.Length == 0)
        {
            return Root;
        }

        var display = "/" + string.Join('/', array);
        return new DropPath(display, KeyOf(display), array);
    }

    private static DropSyncException TooLong() =>
        Errors.Errors.BadRequest(ErrorCodes.MalformedPath, $"Paths may be at most {MaxPathLength} characters long.");

    private static string Printable(string s) =>
        new(s.Take(80).Select(c => char.IsControl(c) ? '?' : c).ToArray());

    public override string ToString() => IsRoot ? "/" : Display;

    public bool Equals(DropPath? other) => other is not null && other.Key == Key;

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Key);
}
