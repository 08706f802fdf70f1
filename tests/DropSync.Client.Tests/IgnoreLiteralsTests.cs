using DropSync.Client.Sync;
using MAB.DotIgnore;

namespace DropSync.Client.Tests;

/// <summary>
/// The literal pre-test in front of the glob matcher never changes an answer: every rule set and path gives what the
/// matcher alone gives (each folder above a path asked as a folder, as IgnoreRules always did).
/// </summary>
public sealed class IgnoreLiteralsTests
{
    private static readonly string[][] RuleSets =
    [
        [],
        ["build/", "*.log", "!keep.log"],
        ["/docs/*.html", "a/**/b", "**/node_modules", "abc/**"],
        ["\\#literal", "\\!bang", "foo?bar", "[Tt]humbs.db", "x*y*z"],
        ["*.tmp", "!x.tmp/", "deep/er/file.txt", "/top-only", "cache/"],
        ["CamelCase", "*.JPG", " leading-blank", "trailing-blank "],
    ];

    private static readonly string[] Segments =
    [
        "a", "b", "abc", "build", "builds", "docs", "index.html", "keep.log", "x.log", "node_modules", "x.tmp", "y.tmp", "deep", "er",
        "file.txt", "top-only", "cache", "#literal", "!bang", "fooXbar", "foobar", "Thumbs.db", "thumbs.db", "x1y2z", "camelcase",
        "CamelCase", "photo.jpg", "photo.JPG", ".swp", "note.swp", ".note.swo", "4913", "file~", "#auto#", "~$doc", ".~lock.a#",
        ".DS_Store", "a.dropsync-part", ".#lock", "plain", "dir0001", "file000123.txt", " leading-blank", "trailing-blank",
    ];

    [Fact]
    public void Every_answer_is_the_matchers_alone()
    {
        var random = new Random(11);
        var checkedPaths = 0;
        var ignoredPaths = 0;
        foreach (var user in RuleSets)
        {
            var rules = IgnoreRules.FromPatterns(user);
            var matcher = new IgnoreList(IgnoreRules.Defaults.Concat(user), MatchFlags.PATHNAME);
            for (var i = 0; i < 4000; i++)
            {
                var depth = random.Next(1, 5);
                var path = string.Join('/', Enumerable.Range(0, depth).Select(_ => Segments[random.Next(Segments.Length)]));
                var isDir = random.Next(3) == 0;
                var expected = MatcherAlone(matcher, path, isDir);
                Assert.True(expected == rules.IsIgnored(path, isDir), $"rules [{string.Join(", ", user)}], {(isDir ? "folder" : "file")} {path}: the matcher says {expected}");
                checkedPaths++;
                ignoredPaths += expected ? 1 : 0;
            }
        }

        // The paths exercise both answers.
        Assert.InRange(ignoredPaths, checkedPaths / 10, checkedPaths * 9 / 10);
    }

    [Fact]
    public void Each_rule_that_matches_a_path_passes_its_pre_test()
    {
        foreach (var rule in RuleSets.SelectMany(s => s).Concat(IgnoreRules.Defaults))
        {
            var literals = IgnoreLiterals.Of([rule]);
            var matcher = new IgnoreList([rule], MatchFlags.PATHNAME);
            foreach (var a in Segments)
            {
                foreach (var b in Segments)
                {
                    foreach (var path in new[] { a, a + "/" + b, "z/" + a + "/" + b })
                    {
                        if (matcher.IsIgnored(path, false) || matcher.IsIgnored(path, true))
                        {
                            Assert.True(literals.MayMatch(path), $"rule {rule} matches {path}, but its pre-test says it cannot");
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void Plain_names_skip_the_matcher_and_rules_without_literals_never_do()
    {
        var defaults = IgnoreLiterals.Of(IgnoreRules.Defaults);
        Assert.False(defaults.MayMatch("dir0001/file000123.txt"));
        Assert.False(defaults.MayMatch("Photos/2024/IMG_0001.JPG"));
        Assert.True(defaults.MayMatch("dir0001/.note.txt.swp"));
        Assert.True(defaults.MayMatch("x.tmp/inside.txt"));
        Assert.True(IgnoreLiterals.Of([.. IgnoreRules.Defaults, "*"]).MayMatch("anything"));
        Assert.True(IgnoreLiterals.Of([" blank"]).MayMatch("anything"));
        Assert.Equal(("a", "b"), IgnoreLiterals.Reduce("a/**/b"));
        Assert.Equal(("", "b"), IgnoreLiterals.Reduce("**/b"));
        Assert.Equal(("docs", ".html"), IgnoreLiterals.Reduce("/docs/*.html"));
    }

    // What IgnoreRules answered before the pre-test: each folder above the path asked as a folder, then the path.
    private static bool MatcherAlone(IgnoreList matcher, string path, bool isDir)
    {
        for (var slash = path.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = path.IndexOf('/', slash + 1))
        {
            if (matcher.IsIgnored(path[..slash], true))
            {
                return true;
            }
        }

        return matcher.IsIgnored(path, isDir);
    }
}
