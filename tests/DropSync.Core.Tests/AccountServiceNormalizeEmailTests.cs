using DropSync.Core.Accounts;
using DropSync.Core.Errors;

namespace DropSync.Core.Tests;

public class AccountServiceNormalizeEmailTests
{
    private static void AssertInvalid(string? email)
    {
        var ex = Assert.Throws<DropSyncException>(() => AccountService.NormalizeEmail(email));
        Assert.Equal(ErrorKind.BadRequest, ex.Kind);
        Assert.Equal("invalid_email", ex.Code);
    }

    [Theory]
    [InlineData("alice@example.com", "alice@example.com")]
    [InlineData("  Alice@Example.COM  ", "alice@example.com")]
    [InlineData("\tBOB.Smith+Tag@Mail.Example.org\n", "bob.smith+tag@mail.example.org")]
    public void Trims_and_lower_cases(string email, string expected) =>
        Assert.Equal(expected, AccountService.NormalizeEmail(email));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Rejects_empty(string? email) => AssertInvalid(email);

    [Theory]
    [InlineData("alice")]
    [InlineData("alice.example.com")]
    [InlineData("alice at example.com")]
    public void Rejects_addresses_without_an_at_sign(string email) => AssertInvalid(email);

    [Theory]
    [InlineData("Bob <b@x.com>")]
    [InlineData("\"Bob\" <b@x.com>")]
    [InlineData("<b@x.com>")]
    [InlineData("b@x.com, c@x.com")]
    public void Rejects_display_name_and_list_forms(string email) => AssertInvalid(email);

    private static string EmailOfLength(int length)
    {
        // "a@" then a domain of 63-character labels, so that only the overall length is at issue.
        var domain = new char[length - 2];
        for (var i = 0; i < domain.Length; i++)
        {
            domain[i] = (i + 1) % 64 == 0 && i != domain.Length - 1 ? '.' : 'd';
        }

        var email = "a@" + new string(domain);
        Assert.Equal(length, email.Length);
        return email;
    }

    [Fact]
    public void Accepts_254_characters() =>
        Assert.Equal(254, AccountService.NormalizeEmail(EmailOfLength(254)).Length);

    [Theory]
    [InlineData(255)]
    [InlineData(1000)]
    public void Rejects_over_254_characters(int length) => AssertInvalid(EmailOfLength(length));

    [Fact]
    public void Surrounding_whitespace_does_not_count_towards_the_length() =>
        Assert.Equal(254, AccountService.NormalizeEmail("  " + EmailOfLength(254) + "  ").Length);
}
