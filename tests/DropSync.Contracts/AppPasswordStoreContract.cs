using DropSync.Core.Model;
using DropSync.Core.Ports;
using Xunit;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Contracts;

/// <summary>The behaviour every <see cref="IAppPasswordStore"/> adapter must have: per-user lists, idempotent revocation.</summary>
public abstract class AppPasswordStoreContract
{
    private static readonly CancellationToken None = CancellationToken.None;

    /// <summary>New, empty stores (the account store for the users app passwords belong to), isolated from other tests'.</summary>
    protected abstract Task<(IAccountStore Accounts, IAppPasswordStore AppPasswords)> CreateStoresAsync();

    private static Account NewAccount()
    {
        var id = Guid.NewGuid().ToString("N");
        return new Account
        {
            UserId = "u_" + id,
            Email = $"user-{id}@example.com",
            PasswordHash = "pbkdf2$" + id,
            RootNamespaceId = "ns_" + id,
            CreatedAt = At(0),
        };
    }

    private static AppPassword NewAppPassword(string userId, string name, DateTimeOffset createdAt) => new()
    {
        AppPasswordId = "ap_" + Guid.NewGuid().ToString("N"),
        UserId = userId,
        Name = name,
        SecretHash = Guid.NewGuid().ToString("N"),
        CreatedAt = createdAt,
    };

    [Fact]
    public async Task App_passwords_are_listed_per_user_oldest_first_and_revoking_keeps_the_first_time()
    {
        var (accounts, store) = await CreateStoresAsync();
        var ada = NewAccount();
        var bob = NewAccount();
        Assert.True(await accounts.TryCreateAccountAsync(ada, None));
        Assert.True(await accounts.TryCreateAccountAsync(bob, None));
        var t0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
        var finder = NewAppPassword(ada.UserId, "Finder", t0);
        var rclone = NewAppPassword(ada.UserId, "rclone", t0.AddMinutes(1));
        var bobs = NewAppPassword(bob.UserId, "davfs2", t0);
        await store.AddAppPasswordAsync(rclone, None);
        await store.AddAppPasswordAsync(finder, None);
        await store.AddAppPasswordAsync(bobs, None);

        Assert.Equal([finder, rclone], await store.ListAppPasswordsAsync(ada.UserId, None));
        Assert.Equal([bobs], await store.ListAppPasswordsAsync(bob.UserId, None));

        Assert.True(await store.RevokeAppPasswordAsync(ada.UserId, finder.AppPasswordId, t0.AddHours(1), None));
        Assert.True(await store.RevokeAppPasswordAsync(ada.UserId, finder.AppPasswordId, t0.AddHours(2), None));
        Assert.False(await store.RevokeAppPasswordAsync(bob.UserId, finder.AppPasswordId, t0.AddHours(3), None));
        Assert.False(await store.RevokeAppPasswordAsync(ada.UserId, "ap_unknown", t0, None));

        var listed = await store.ListAppPasswordsAsync(ada.UserId, None);
        Assert.Equal(finder with { RevokedAt = t0.AddHours(1) }, listed[0]);
        Assert.Equal(rclone, listed[1]);
        Assert.Empty(await store.ListAppPasswordsAsync("u_nobody", None));

        // An account's devices and app passwords never mix.
        Assert.Empty(await accounts.ListDevicesAsync(ada.UserId, None));
    }
}
