using DropSync.Core.Errors;
using DropSync.Core.Paths;

namespace DropSync.Core.Tests;

/// <summary>Path algebra on parsed paths: name and parent, ancestors, a child, containment, rebasing below another path.</summary>
public partial class DropPathTests
{
    [Fact]
    public void Name_and_Parent()
    {
        var path = DropPath.Parse("/a/B/c.txt", allowRoot: false);

        Assert.Equal("c.txt", path.Name);
        Assert.Equal("/a/B", path.Parent.Display);
        Assert.Equal("B", path.Parent.Name);
        Assert.Equal("/a", path.Parent.Parent.Display);
        Assert.True(path.Parent.Parent.Parent.IsRoot);
        Assert.Same(DropPath.Root, path.Parent.Parent.Parent);
    }

    [Fact]
    public void The_root_has_no_name_and_is_its_own_parent()
    {
        Assert.Equal("", DropPath.Root.Name);
        Assert.True(DropPath.Root.Parent.IsRoot);
    }

    [Fact]
    public void Ancestors_run_from_the_top_down_excluding_root_and_self()
    {
        var path = DropPath.Parse("/a/B/c/d.txt", allowRoot: false);

        Assert.Equal(["/a", "/a/B", "/a/B/c"], path.Ancestors().Select(p => p.Display));
        Assert.Empty(DropPath.Parse("/a", allowRoot: false).Ancestors());
        Assert.Empty(DropPath.Root.Ancestors());
    }

    [Fact]
    public void Child_appends_a_name()
    {
        Assert.Equal("/a", DropPath.Root.Child("a").Display);
        var child = DropPath.Parse("/Docs", allowRoot: false).Child("Re\u0301sumé.PDF");

        Assert.Equal("/Docs/Résumé.PDF", child.Display);
        Assert.Equal("Résumé.PDF", child.Name);
        Assert.Equal("/Docs", child.Parent.Display);
        Assert.Equal(DropPath.Parse("/docs/résumé.pdf", allowRoot: false).Key, child.Key);
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("a\\b")]
    [InlineData("a\nb")]
    public void Child_checks_the_name(string name) =>
        AssertMalformed(() => DropPath.Parse("/a", allowRoot: false).Child(name));

    [Fact]
    public void Child_rejects_a_lone_surrogate() =>
        AssertMalformed(() => DropPath.Parse("/a", allowRoot: false).Child("x" + (char)0xD800));

    [Theory]
    [InlineData("")]
    [InlineData("b/c")]
    [InlineData("/b")]
    [InlineData("b/")]
    public void Child_rejects_anything_that_is_not_a_single_name(string name) =>
        AssertMalformed(() => DropPath.Parse("/a", allowRoot: false).Child(name));

    [Theory]
    [InlineData("/a", "/a", true)]
    [InlineData("/a", "/a/b", true)]
    [InlineData("/a", "/a/b/c", true)]
    [InlineData("/a", "/A/B", true)]
    [InlineData("/A", "/a/b", true)]
    [InlineData("/a", "/ab", false)]
    [InlineData("/a", "/ab/c", false)]
    [InlineData("/a/b", "/a", false)]
    [InlineData("/a/b", "/a/c", false)]
    [InlineData("/a b", "/a", false)]
    public void Contains(string outer, string inner, bool expected) =>
        Assert.Equal(expected, DropPath.Parse(outer, allowRoot: false).Contains(DropPath.Parse(inner, allowRoot: false)));

    [Fact]
    public void The_root_contains_everything_and_nothing_else_contains_the_root()
    {
        Assert.True(DropPath.Root.Contains(DropPath.Root));
        Assert.True(DropPath.Root.Contains(DropPath.Parse("/x/y", allowRoot: false)));
        Assert.False(DropPath.Parse("/x", allowRoot: false).Contains(DropPath.Root));
    }

    [Theory]
    [InlineData("/a/b/c.txt", "/a", "/x/y", "/x/y/b/c.txt")]
    [InlineData("/a/b/c.txt", "/a/b", "/z", "/z/c.txt")]
    [InlineData("/a/b", "/a/b", "/z", "/z")]
    [InlineData("/A/Mixed/Case", "/a", "/New", "/New/Mixed/Case")]
    [InlineData("/a/b/c", "/a", "", "/b/c")]
    [InlineData("/a/b/c", "", "/r", "/r/a/b/c")]
    public void Rebase_moves_a_descendant_below_another_path(string path, string from, string to, string expected)
    {
        var rebased = DropPath.Parse(path, allowRoot: false)
            .Rebase(DropPath.Parse(from, allowRoot: true), DropPath.Parse(to, allowRoot: true));

        Assert.Equal(expected, rebased.Display);
        Assert.Equal(DropPath.Parse(expected, allowRoot: false).Key, rebased.Key);
    }

    [Theory]
    [InlineData("/ab/c", "/a")]
    [InlineData("/a", "/a/b")]
    [InlineData("/x/y", "/a")]
    public void Rebase_refuses_a_path_not_below_from(string path, string from) =>
        Assert.Throws<ArgumentException>(() =>
            DropPath.Parse(path, allowRoot: false).Rebase(DropPath.Parse(from, allowRoot: false), DropPath.Parse("/z", allowRoot: false)));

    [Fact]
    public void Rebase_never_produces_a_path_that_Parse_would_reject()
    {
        // Moving a deep tree below another deep folder must not create an entry whose path can no longer be parsed.
        var deepSource = DropPath.Parse(PathOfLength(1000), allowRoot: false);
        var from = deepSource.Ancestors().First();
        var to = DropPath.Parse(PathOfLength(900), allowRoot: false);

        try
        {
            var rebased = deepSource.Rebase(from, to);
            Assert.True(rebased.Display.Length <= DropPath.MaxPathLength, $"Rebase produced a {rebased.Display.Length}-character path.");
        }
        catch (DropSyncException ex)
        {
            Assert.Equal(ErrorKind.BadRequest, ex.Kind);
            Assert.Equal("malformed_path", ex.Code);
        }
    }
}
