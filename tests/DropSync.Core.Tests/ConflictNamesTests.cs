using System.Text;
using DropSync.Core.Files;
using DropSync.Core.Paths;

namespace DropSync.Core.Tests;

public class ConflictNamesTests
{
    private static readonly DateTimeOffset When = new(2026, 11, 25, 14, 30, 0, TimeSpan.Zero);

    private static string[] First(string name, string device, int count) =>
        [.. ConflictNames.Candidates(name, device, When).Take(count)];

    [Fact]
    public void The_first_candidate_names_the_device_and_date_before_the_extension() =>
        Assert.Equal("report (conflicted copy from laptop 2026-11-25).pdf", First("report.pdf", "laptop", 1)[0]);

    [Fact]
    public void Only_the_last_extension_is_kept_after_the_label() =>
        Assert.Equal("archive.tar (conflicted copy from laptop 2026-11-25).gz", First("archive.tar.gz", "laptop", 1)[0]);

    [Theory]
    [InlineData(".bashrc", ".bashrc (conflicted copy from laptop 2026-11-25)")]
    [InlineData("README", "README (conflicted copy from laptop 2026-11-25)")]
    public void Dot_files_and_names_without_a_dot_have_no_extension(string name, string expected) =>
        Assert.Equal(expected, First(name, "laptop", 1)[0]);

    [Fact]
    public void The_sequence_continues_with_numbers_before_the_extension()
    {
        Assert.Equal(
            [
                "report (conflicted copy from laptop 2026-11-25).pdf",
                "report (conflicted copy from laptop 2026-11-25) (1).pdf",
                "report (conflicted copy from laptop 2026-11-25) (2).pdf",
                "report (conflicted copy from laptop 2026-11-25) (3).pdf",
            ],
            First("report.pdf", "laptop", 4));
    }

    [Fact]
    public void Numbered_candidates_without_an_extension_end_with_the_number() =>
        Assert.Equal("README (conflicted copy from laptop 2026-11-25) (2)", First("README", "laptop", 3)[2]);

    [Fact]
    public void Candidates_are_all_distinct()
    {
        var candidates = First("report.pdf", "laptop", 1000);

        Assert.Equal(candidates.Length, candidates.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void The_date_is_the_UTC_calendar_date_in_ISO_form()
    {
        var when = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

        Assert.Equal("a (conflicted copy from pc 2026-01-02).txt", ConflictNames.Candidates("a.txt", "pc", when).First());
    }

    [Theory]
    [InlineData("evil/../../etc")]
    [InlineData("/")]
    [InlineData("a\\b")]
    [InlineData("line\nbreak")]
    [InlineData("nul\0")]
    [InlineData("..")]
    public void A_hostile_device_name_cannot_escape_the_folder(string device)
    {
        var folder = DropPath.Parse("/Shared/Team", allowRoot: false);

        foreach (var candidate in First("report.pdf", device, 3))
        {
            Assert.DoesNotContain('/', candidate);
            Assert.DoesNotContain('\\', candidate);
            Assert.DoesNotContain(candidate, char.IsControl);

            var path = folder.Child(candidate);
            Assert.Equal(folder, path.Parent);
            Assert.Equal(candidate, path.Name);
            Assert.EndsWith(".pdf", candidate, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Slashes_in_the_device_name_are_replaced_not_dropped() =>
        Assert.Equal("report (conflicted copy from a-b-c 2026-11-25).pdf", First("report.pdf", "a/b\\c", 1)[0]);

    [Fact]
    public void Candidates_for_a_name_at_the_length_limit_are_still_valid_names()
    {
        // A 255-byte name is legal; its conflicted copy must be too, or committing the copy fails with malformed_path.
        var name = new string('n', 251) + ".pdf";
        var folder = DropPath.Parse("/Docs", allowRoot: false);

        foreach (var candidate in First(name, "laptop", 3))
        {
            Assert.True(
                Encoding.UTF8.GetByteCount(candidate) <= DropPath.MaxNameBytes,
                $"The candidate is {Encoding.UTF8.GetByteCount(candidate)} bytes: {candidate}");
            Assert.EndsWith(".pdf", candidate, StringComparison.Ordinal);
            Assert.Equal(candidate, folder.Child(candidate).Name);
        }
    }
}
