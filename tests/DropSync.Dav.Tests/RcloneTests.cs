namespace DropSync.Dav.Tests;

/// <summary>
/// rclone's WebDAV backend (vendor "other", no config file) copies a tree up to /dav/ and back: non-ASCII names,
/// empty files and folders, and a 100 MiB file; `rclone check --download` compares every byte and finds no difference.
/// </summary>
[Collection("dav server")]
public sealed class RcloneTests(DavServerFixture fixture)
{
    [Fact]
    public async Task Rclone_copies_a_tree_up_and_back_and_check_finds_no_difference()
    {
        var rclone = ExternalTools.Require("rclone");
        var account = await fixture.NewAccountAsync();
        var work = Directory.CreateTempSubdirectory("dropsync-rclone-").FullName;
        var environment = new Dictionary<string, string> { ["RCLONE_CONFIG"] = Path.Combine(work, "no-such-rclone.conf") };
        try
        {
            var tree = Path.Combine(work, "tree");
            var files = new Dictionary<string, byte[]>
            {
                ["héllo wörld.txt"] = System.Text.Encoding.UTF8.GetBytes("hello"),
                ["empty.txt"] = [],
                ["Привет/日本語 ファイル.md"] = System.Text.Encoding.UTF8.GetBytes("こんにちは"),
                ["Привет/emoji 😀/empty too.bin"] = [],
                ["deep/a/b/c/naïve café.txt"] = System.Text.Encoding.UTF8.GetBytes("crème brûlée"),
                ["big.bin"] = RandomBytes(100 * 1024 * 1024, seed: 14),
            };
            foreach (var (name, content) in files)
            {
                var path = Path.Combine(tree, name);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await File.WriteAllBytesAsync(path, content);
            }

            Directory.CreateDirectory(Path.Combine(tree, "empty folder ø"));
            var obscured = (await ExternalTools.RunAsync(rclone, ["obscure", account.AppPassword], TimeSpan.FromSeconds(30), work, environment)).Output.Trim();
            var remote = $":webdav,url='{fixture.DavUrl}',vendor=other,user='{account.Email}',pass='{obscured}':backup";

            await RcloneOkAsync(rclone, ["copy", "--create-empty-src-dirs", tree, remote], work, environment);
            var back = Path.Combine(work, "back");
            await RcloneOkAsync(rclone, ["copy", "--create-empty-src-dirs", remote, back], work, environment);
            var check = await RcloneOkAsync(rclone, ["check", "--download", tree, remote], work, environment);
            Assert.Contains("0 differences found", check, StringComparison.Ordinal);

            foreach (var (name, content) in files)
            {
                var copied = await File.ReadAllBytesAsync(Path.Combine(back, name));
                Assert.True(content.AsSpan().SequenceEqual(copied), name);
            }

            Assert.True(Directory.Exists(Path.Combine(back, "empty folder ø")));

            // The same files through the API: WebDAV writes are ordinary commits.
            var listed = await account.Api.PostAsync("/files/list_folder", Json(new { path = "/backup", recursive = true }));
            var listing = await listed.Content.ReadAsStringAsync();
            Assert.True(listed.IsSuccessStatusCode, listing);
            Assert.Contains("日本語 ファイル.md", listing, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<string> RcloneOkAsync(string rclone, string[] arguments, string work, Dictionary<string, string> environment)
    {
        var (code, output) = await ExternalTools.RunAsync(rclone, arguments, TimeSpan.FromMinutes(5), work, environment);
        Assert.True(code == 0, $"rclone {arguments[0]} exited with {code}:\n{output}");
        return output;
    }

    private static StringContent Json(object body) =>
        new(System.Text.Json.JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
