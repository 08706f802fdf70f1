using DropSync.Core.Accounts;

namespace DropSync.Core.Tests;

public class PasswordHasherTests
{
    private const int Iterations = 1000;
    private readonly PasswordHasher _hasher = new(Iterations);

    [Fact]
    public void The_right_password_verifies()
    {
        var encoded = _hasher.Hash("correct horse battery staple");

        Assert.True(_hasher.Verify("correct horse battery staple", encoded));
    }

    [Theory]
    [InlineData("")]
    [InlineData("correct horse battery stapl")]
    [InlineData("correct horse battery staple ")]
    [InlineData("Correct horse battery staple")]
    [InlineData("wrong")]
    public void A_wrong_password_does_not_verify(string attempt)
    {
        var encoded = _hasher.Hash("correct horse battery staple");

        Assert.False(_hasher.Verify(attempt, encoded));
    }

    [Fact]
    public void Non_ASCII_passwords_round_trip()
    {
        var encoded = _hasher.Hash("pässwörd 世界 \U0001F600");

        Assert.True(_hasher.Verify("pässwörd 世界 \U0001F600", encoded));
        Assert.False(_hasher.Verify("passwort 世界 \U0001F600", encoded));
    }

    [Fact]
    public void Two_hashes_of_one_password_differ_because_of_the_salt()
    {
        var a = _hasher.Hash("same password");
        var b = _hasher.Hash("same password");

        Assert.NotEqual(a, b);
        Assert.NotEqual(a.Split('$')[2], b.Split('$')[2]);
        Assert.True(_hasher.Verify("same password", a));
        Assert.True(_hasher.Verify("same password", b));
    }

    [Fact]
    public void The_encoded_form_carries_scheme_iteration_count_salt_and_hash()
    {
        var parts = _hasher.Hash("pw").Split('$');

        Assert.Equal(4, parts.Length);
        Assert.Equal("pbkdf2-sha256", parts[0]);
        Assert.Equal("1000", parts[1]);
        Assert.Equal(16, Convert.FromBase64String(parts[2]).Length);
        Assert.Equal(32, Convert.FromBase64String(parts[3]).Length);
    }

    [Fact]
    public void Verifying_uses_the_stored_iteration_count_not_the_hashers()
    {
        var encoded = new PasswordHasher(1000).Hash("pw");

        Assert.True(new PasswordHasher(2000).Verify("pw", encoded));
        Assert.True(new PasswordHasher(1).Verify("pw", encoded));
    }

    [Fact]
    public void Changing_the_stored_iteration_count_breaks_verification()
    {
        var parts = _hasher.Hash("pw").Split('$');
        parts[1] = "1001";

        Assert.False(_hasher.Verify("pw", string.Join('$', parts)));
    }

    [Fact]
    public void The_default_work_factor_is_600000() =>
        Assert.Equal(600_000, PasswordHasher.DefaultIterations);

    private static string Tamper(string encoded, int part, Func<string, string> change)
    {
        var parts = encoded.Split('$');
        parts[part] = change(parts[part]);
        return string.Join('$', parts);
    }

    private static string FlipFirstChar(string base64) => (base64[0] == 'A' ? 'B' : 'A') + base64[1..];

    [Fact]
    public void A_tampered_hash_or_salt_does_not_verify()
    {
        var encoded = _hasher.Hash("pw");

        Assert.False(_hasher.Verify("pw", Tamper(encoded, 3, FlipFirstChar)));
        Assert.False(_hasher.Verify("pw", Tamper(encoded, 2, FlipFirstChar)));
        Assert.False(_hasher.Verify("pw", Tamper(encoded, 0, _ => "pbkdf2-sha1")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("pw")]
    [InlineData("pbkdf2-sha256")]
    [InlineData("pbkdf2-sha256$1000")]
    [InlineData("pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA==")]
    [InlineData("pbkdf2-sha256$0$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=")]
    [InlineData("pbkdf2-sha256$-1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=")]
    [InlineData("pbkdf2-sha256$many$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=")]
    [InlineData("pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=$x")]
    public void Malformed_encodings_do_not_verify(string encoded) =>
        Assert.False(_hasher.Verify("pw", encoded));

    [Fact]
    public void An_encoding_that_is_not_valid_base64_does_not_verify()
    {
        var encoded = _hasher.Hash("pw");

        Assert.False(_hasher.Verify("pw", Tamper(encoded, 3, h => "!!" + h[2..])));
        Assert.False(_hasher.Verify("pw", Tamper(encoded, 2, s => s[..^3])));
    }

    [Fact]
    public void An_empty_stored_hash_never_verifies()
    {
        // An empty hash part must not make every password match.
        var encoded = Tamper(_hasher.Hash("pw"), 3, _ => "");

        Assert.False(_hasher.Verify("anything", encoded));
    }
}
