using DropSync.Core.Model;
using DropSync.Core.Ports;
using Xunit;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Contracts;

/// <summary>The behaviour every <see cref="IAccountStore"/> adapter must have: unique e-mails, and revoked devices that stay out.</summary>
public abstract class AccountStoreContract
{
    private static readonly CancellationToken None = CancellationToken.None;

    /// <summary>A new, empty store, isolated from every other test's; the subclass cleans it up.</summary>
    protected abstract Task<IAccountStore> CreateStoreAsync();

    [Fact]
    public async Task An_account_is_found_by_id_and_by_email()
    {
        var store = await CreateStoreAsync();
        var account = NewAccount();

        Assert.True(await store.TryCreateAccountAsync(account, None));

        Assert.Equal(account, await store.GetAccountAsync(account.UserId, None));
        Assert.Equal(account, await store.FindAccountByEmailAsync(account.Email, None));
        Assert.Null(await store.GetAccountAsync("u_unknown", None));
        Assert.Null(await store.FindAccountByEmailAsync("nobody@example.com", None));
    }

    [Fact]
    public async Task A_taken_email_answers_false_and_keeps_the_first_account()
    {
        var store = await CreateStoreAsync();
        var first = NewAccount();
        var second = NewAccount() with { Email = first.Email };

        Assert.True(await store.TryCreateAccountAsync(first, None));
        Assert.False(await store.TryCreateAccountAsync(second, None));

        Assert.Equal(first, await store.FindAccountByEmailAsync(first.Email, None));
        Assert.Null(await store.GetAccountAsync(second.UserId, None));
    }

    [Fact]
    public async Task Of_20_racing_registrations_of_one_email_exactly_one_succeeds()
    {
        var store = await CreateStoreAsync();
        var email = NewAccount().Email;
        var accounts = Enumerable.Range(0, 20).Select(_ => NewAccount() with { Email = email }).ToList();

        var created = await Task.WhenAll(accounts.Select(a => Task.Run(() => store.TryCreateAccountAsync(a, None))));

        var winner = Assert.Single(accounts.Where((_, i) => created[i]));
        Assert.Equal(winner, await store.FindAccountByEmailAsync(email, None));
    }

    [Fact]
    public async Task Devices_are_found_by_id_and_token_hash_and_listed_per_user()
    {
        var store = await CreateStoreAsync();
        var alice = NewAccount();
        var bob = NewAccount();
        await store.TryCreateAccountAsync(alice, None);
        await store.TryCreateAccountAsync(bob, None);
        var laptop = NewDevice(alice, "Laptop", At(1));
        var phone = NewDevice(alice, "Phone", At(2));
        var bobs = NewDevice(bob, "Bob's", At(3));

        foreach (var device in new[] { phone, bobs, laptop })
        {
            await store.AddDeviceAsync(device, None);
        }

        Assert.Equal(laptop, await store.GetDeviceAsync(laptop.DeviceId, None));
        Assert.Equal(phone, await store.FindDeviceByTokenHashAsync(phone.TokenHash, None));
        Assert.Null(await store.FindDeviceByTokenHashAsync(new string('f', 64), None));
        Assert.Null(await store.GetDeviceAsync("dev_unknown", None));
        Assert.Equal(
            new[] { laptop.DeviceId, phone.DeviceId }.Order(StringComparer.Ordinal),
            (await store.ListDevicesAsync(alice.UserId, None)).Select(d => d.DeviceId).Order(StringComparer.Ordinal));
        Assert.Equal([bobs], await store.ListDevicesAsync(bob.UserId, None));
    }

    [Fact]
    public async Task A_revoked_device_is_never_found_by_its_token()
    {
        var store = await CreateStoreAsync();
        var alice = NewAccount();
        await store.TryCreateAccountAsync(alice, None);
        var device = NewDevice(alice, "Laptop", At(1));
        await store.AddDeviceAsync(device, None);
        // Read by token and by id first: a store that keeps devices in memory must not answer these after the revoke.
        Assert.Equal(device, await store.FindDeviceByTokenHashAsync(device.TokenHash, None));
        Assert.Null((await store.GetDeviceAsync(device.DeviceId, None))!.RevokedAt);

        Assert.True(await store.RevokeDeviceAsync(alice.UserId, device.DeviceId, At(10), None));

        Assert.Null(await store.FindDeviceByTokenHashAsync(device.TokenHash, None));
        Assert.Equal(At(10), (await store.GetDeviceAsync(device.DeviceId, None))?.RevokedAt);
        Assert.True(await store.RevokeDeviceAsync(alice.UserId, device.DeviceId, At(20), None));
        Assert.Null(await store.FindDeviceByTokenHashAsync(device.TokenHash, None));
    }

    [Fact]
    public async Task Revoking_another_users_device_or_an_unknown_one_answers_false_and_changes_nothing()
    {
        var store = await CreateStoreAsync();
        var alice = NewAccount();
        var mallory = NewAccount();
        await store.TryCreateAccountAsync(alice, None);
        await store.TryCreateAccountAsync(mallory, None);
        var device = NewDevice(alice, "Laptop", At(1));
        await store.AddDeviceAsync(device, None);

        Assert.False(await store.RevokeDeviceAsync(mallory.UserId, device.DeviceId, At(5), None));
        Assert.False(await store.RevokeDeviceAsync(alice.UserId, "dev_unknown", At(5), None));

        Assert.Equal(device, await store.FindDeviceByTokenHashAsync(device.TokenHash, None));
    }

    [Fact]
    public async Task Touching_a_device_records_its_last_use_everywhere_and_never_moves_it_back()
    {
        var store = await CreateStoreAsync();
        var alice = NewAccount();
        await store.TryCreateAccountAsync(alice, None);
        var laptop = NewDevice(alice, "Laptop", At(1));
        await store.AddDeviceAsync(laptop, None);
        Assert.Null((await store.GetDeviceAsync(laptop.DeviceId, None))!.LastUsedAt);

        await store.TouchDeviceAsync(laptop, At(5000), None);
        await store.TouchDeviceAsync(laptop, At(3000), None);
        await store.TouchDeviceAsync(NewDevice(alice, "never added", At(1)), At(9000), None);

        Assert.Equal(At(5000), (await store.GetDeviceAsync(laptop.DeviceId, None))!.LastUsedAt);
        Assert.Equal(At(5000), (await store.FindDeviceByTokenHashAsync(laptop.TokenHash, None))!.LastUsedAt);
        Assert.Equal(At(5000), Assert.Single(await store.ListDevicesAsync(alice.UserId, None)).LastUsedAt);
        Assert.Equal(At(5000), (await store.GetDeviceAsync(laptop.DeviceId, None))!.LastActiveAt);
    }

    [Fact]
    public async Task A_new_password_hash_is_seen_by_id_and_by_email()
    {
        var store = await CreateStoreAsync();
        var alice = NewAccount();
        var bob = NewAccount();
        await store.TryCreateAccountAsync(alice, None);
        await store.TryCreateAccountAsync(bob, None);

        Assert.True(await store.SetPasswordHashAsync(alice, "pbkdf2$new", None));
        Assert.False(await store.SetPasswordHashAsync(NewAccount(), "pbkdf2$ghost", None));

        Assert.Equal(alice with { PasswordHash = "pbkdf2$new" }, await store.GetAccountAsync(alice.UserId, None));
        Assert.Equal(alice with { PasswordHash = "pbkdf2$new" }, await store.FindAccountByEmailAsync(alice.Email, None));
        Assert.Equal(bob, await store.GetAccountAsync(bob.UserId, None));
    }

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

    private static Device NewDevice(Account owner, string name, DateTimeOffset createdAt) => new()
    {
        DeviceId = "dev_" + Guid.NewGuid().ToString("N"),
        UserId = owner.UserId,
        Name = name,
        TokenHash = Core.Accounts.Ids.Sha256Hex(Guid.NewGuid().ToString()),
        CreatedAt = createdAt,
    };
}
