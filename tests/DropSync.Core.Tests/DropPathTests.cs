using System.Text;
using DropSync.Core.Errors;
using DropSync.Core.Paths;

namespace DropSync.Core.Tests;

/// <summary>
/// Parsing a path: what is rejected as malformed and what is kept exactly, and the keys paths compare under. Path
/// algebra on parsed paths is the Navigation part.
/// </summary>
public partial class DropPathTests
{
    private static void AssertMalformed(string? raw, bool allowRoot = false) =>
        AssertMalformed(() => DropPath.Parse(raw, allowRoot));

    private static void AssertMalformed(Func<object> action)
    {
        var ex = Assert.Throws<DropSyncException>(action);
        Assert.Equal(ErrorKind.BadRequest, ex.Kind);
        Assert.Equal("malformed_path", ex.Code);
    }

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    public void Root_forms_parse_to_the_root_when_allowed(string raw)
    {
        var path = DropPath.Parse(raw, allowRoot: true);

        Assert.True(path.IsRoot);
        Assert.Equal("", path.Display);
        Assert.Equal("", path.Key);
        Assert.Empty(path.Components);
        Assert.Equal(DropPath.Root, path);
        Assert.Equal("/", path.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    public void Root_forms_are_rejected_when_not_allowed(string raw) => AssertMalformed(raw, allowRoot: false);

    [Fact]
    public void Null_is_rejected() => AssertMalformed(null, allowRoot: true);

    [Theory]
    [InlineData("a")]
    [InlineData("a/b")]
    [InlineData(" /a")]
    [InlineData("\\a")]
    [InlineData("Documents/report.pdf")]
    public void Paths_must_start_with_a_slash(string raw) => AssertMalformed(raw, allowRoot: true);

    [Fact]
    public void A_simple_path_parses_into_components()
    {
        var path = DropPath.Parse("/Documents/report.pdf", allowRoot: false);

        Assert.False(path.IsRoot);
        Assert.Equal("/Documents/report.pdf", path.Display);
        Assert.Equal(["Documents", "report.pdf"], path.Components);
        Assert.Equal("/Documents/report.pdf", path.ToString());
    }

    [Theory]
    [InlineData("/a/", "/a")]
    [InlineData("/a/b/", "/a/b")]
    public void A_single_trailing_slash_is_accepted_and_dropped(string raw, string expected)
    {
        var path = DropPath.Parse(raw, allowRoot: false);

        Assert.Equal(expected, path.Display);
        Assert.Equal(DropPath.Parse(expected, allowRoot: false).Key, path.Key);
        Assert.DoesNotContain("", path.Components);
    }

    [Theory]
    [InlineData("//")]
    [InlineData("//a")]
    [InlineData("/a//b")]
    [InlineData("/a//")]
    [InlineData("/a///")]
    public void Empty_names_are_rejected(string raw) => AssertMalformed(raw, allowRoot: true);

    [Theory]
    [InlineData("/.")]
    [InlineData("/..")]
    [InlineData("/a/.")]
    [InlineData("/a/..")]
    [InlineData("/a/./b")]
    [InlineData("/a/../b")]
    [InlineData("/../etc/passwd")]
    public void Dot_and_dot_dot_are_rejected(string raw) => AssertMalformed(raw, allowRoot: true);

    [Theory]
    [InlineData("/...")]
    [InlineData("/.a")]
    [InlineData("/a.")]
    [InlineData("/..a")]
    [InlineData("/a/.bashrc")]
    public void Names_that_merely_contain_dots_are_accepted(string raw) =>
        Assert.Equal(raw, DropPath.Parse(raw, allowRoot: false).Display);

    [Theory]
    [InlineData("/a\0b")]
    [InlineData("/a\nb")]
    [InlineData("/a\rb")]
    [InlineData("/a\tb")]
    [InlineData("/a\u007fb")]
    [InlineData("/a\u0085b")]
    [InlineData("/dir/\u0001")]
    public void Control_characters_are_rejected(string raw)
    {
        Assert.Contains(raw, char.IsControl);

        AssertMalformed(raw);
    }

    [Theory]
    [InlineData("/a\\b")]
    [InlineData("/a/\\")]
    [InlineData("/dir\\..\\x")]
    public void Backslashes_are_rejected(string raw)
    {
        Assert.Contains('\\', raw);

        AssertMalformed(raw);
    }

    // Lone surrogates are built inside the tests: xUnit would replace them with U+FFFD when passing test data.
    [Theory]
    [InlineData("/a", 0xD800, "b")]
    [InlineData("/a", 0xDC00, "b")]
    [InlineData("/a", 0xDBFF, "")]
    [InlineData("/", 0xDC00, "")]
    [InlineData("/x/", 0xDFFF, "/y")]
    public void Lone_surrogates_are_rejected(string before, int surrogate, string after)
    {
        var raw = before + (char)surrogate + after;
        Assert.True(char.IsSurrogate(raw, before.Length));

        AssertMalformed(raw);
    }

    [Fact]
    public void A_reversed_surrogate_pair_is_rejected() => AssertMalformed("/x/" + (char)0xDC00 + (char)0xD800);

    [Fact]
    public void A_proper_surrogate_pair_is_accepted()
    {
        var path = DropPath.Parse("/smile \U0001F600.txt", allowRoot: false);

        Assert.Equal("smile \U0001F600.txt", path.Name);
    }

    [Theory]
    [InlineData("a", 255)]
    [InlineData("é", 127)]
    [InlineData("世", 85)]
    public void A_name_of_at_most_255_UTF8_bytes_is_accepted(string unit, int count)
    {
        var name = string.Concat(Enumerable.Repeat(unit, count));
        Assert.True(Encoding.UTF8.GetByteCount(name) <= DropPath.MaxNameBytes);

        Assert.Equal(name, DropPath.Parse("/dir/" + name, allowRoot: false).Name);
    }

    [Theory]
    [InlineData("a", 256)]
    [InlineData("é", 128)]
    [InlineData("世", 86)]
    public void A_name_over_255_UTF8_bytes_is_rejected(string unit, int count)
    {
        var name = string.Concat(Enumerable.Repeat(unit, count));
        Assert.True(Encoding.UTF8.GetByteCount(name) > DropPath.MaxNameBytes);

        AssertMalformed("/dir/" + name);
    }

    [Fact]
    public void Name_length_is_counted_after_normalisation()
    {
        // 127 decomposed "é" are 381 bytes as written but 254 bytes once composed.
        var name = string.Concat(Enumerable.Repeat("e\u0301", 127));

        var path = DropPath.Parse("/" + name, allowRoot: false);

        Assert.Equal(254, Encoding.UTF8.GetByteCount(path.Name));
    }

    private static string PathOfLength(int length)
    {
        var builder = new StringBuilder();
        while (builder.Length < length)
        {
            var remaining = length - builder.Length;
            var name = Math.Min(200, remaining - 1);
            if (name == 0)
            {
                // Never end on a bare "/": lengthen the previous name instead.
                builder.Length--;
                builder.Append("zz");
                continue;
            }

            builder.Append('/').Append('n', name);
        }

        return builder.ToString();
    }

    [Fact]
    public void A_path_of_1024_characters_is_accepted()
    {
        var raw = PathOfLength(DropPath.MaxPathLength);
        Assert.Equal(1024, raw.Length);

        Assert.Equal(raw, DropPath.Parse(raw, allowRoot: false).Display);
    }

    [Theory]
    [InlineData(1025)]
    [InlineData(5000)]
    [InlineData(100_000)]
    public void A_path_over_1024_characters_is_rejected(int length)
    {
        var raw = PathOfLength(length);
        Assert.Equal(length, raw.Length);

        AssertMalformed(raw);
    }

    [Fact]
    public void Decomposed_and_precomposed_forms_share_a_key_and_display_is_NFC()
    {
        var decomposed = DropPath.Parse("/Cafe\u0301/re\u0301sume\u0301.txt", allowRoot: false);
        var precomposed = DropPath.Parse("/Café/résumé.txt", allowRoot: false);

        Assert.Equal(precomposed.Key, decomposed.Key);
        Assert.Equal("/Café/résumé.txt", decomposed.Display);
        Assert.True(decomposed.Display.IsNormalized(NormalizationForm.FormC));
        Assert.Equal("résumé.txt", decomposed.Name);
        Assert.Equal(precomposed, decomposed);
        Assert.Equal(precomposed.GetHashCode(), decomposed.GetHashCode());
    }

    [Fact]
    public void Paths_differing_only_by_case_share_a_key_but_keep_their_display()
    {
        var a = DropPath.Parse("/Docs/A.txt", allowRoot: false);
        var b = DropPath.Parse("/docs/a.TXT", allowRoot: false);

        Assert.Equal(a.Key, b.Key);
        Assert.Equal("/Docs/A.txt", a.Display);
        Assert.Equal("/docs/a.TXT", b.Display);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
    }

    [Theory]
    [InlineData("/a.txt", "/b.txt")]
    [InlineData("/a", "/a/b")]
    [InlineData("/é", "/e")]
    [InlineData("/a b", "/ab")]
    public void Different_paths_have_different_keys(string x, string y)
    {
        var a = DropPath.Parse(x, allowRoot: false);
        var b = DropPath.Parse(y, allowRoot: false);

        Assert.NotEqual(a.Key, b.Key);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Rclone_hostile_names_are_accepted_and_preserved_exactly()
    {
        const string raw = "/hello? sausage/êé/Hello, 世界/ \" ' @ < > & ? + ≠/z.txt";

        var path = DropPath.Parse(raw, allowRoot: false);

        Assert.Equal(raw, path.Display);
        Assert.Equal(["hello? sausage", "êé", "Hello, 世界", " \" ' @ < > & ? + ≠", "z.txt"], path.Components);
        Assert.Equal("z.txt", path.Name);
        Assert.Equal(raw, path.ToString());
    }

    [Theory]
    [InlineData("/ leading")]
    [InlineData("/trailing ")]
    [InlineData("/ both /x")]
    [InlineData("/:*?\"<>|")]
    [InlineData("/%2F%00")]
    public void Unusual_but_legal_names_are_preserved(string raw) =>
        Assert.Equal(raw, DropPath.Parse(raw, allowRoot: false).Display);
}
