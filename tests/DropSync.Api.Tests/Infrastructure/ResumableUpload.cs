using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace DropSync.Api.Tests.Infrastructure;

/// <summary>Splits content into blocks of given sizes and drives the resumable upload protocol, as a client would.</summary>
public static class ResumableUpload
{
    public static List<(string Hash, byte[] Bytes)> Split(byte[] content, params int[] sizes)
    {
        var blocks = new List<(string, byte[])>();
        var offset = 0;
        foreach (var size in sizes)
        {
            var bytes = content[offset..(offset + size)];
            blocks.Add((Dropbox.Sha256Hex(bytes), bytes));
            offset += size;
        }

        Assert.Equal(content.Length, offset);
        return blocks;
    }

    public static object Declare(string path, List<(string Hash, byte[] Bytes)> blocks, string mode = "add", string? rev = null, string? contentHash = null) => new
    {
        path,
        size = blocks.Sum(b => (long)b.Bytes.Length),
        blocks = blocks.Select(b => new { hash = b.Hash, size = b.Bytes.Length }),
        mode,
        rev,
        content_hash = contentHash,
    };

    public static async Task<JsonNode> BeginAsync(ApiClient client, object declaration)
    {
        var (status, body) = await client.PostAsync("/files/upload?uploadType=resumable", declaration);
        Assert.True(status == HttpStatusCode.OK, $"begin failed: {status} {body}");
        return body;
    }

    /// <summary>A new account begins a resumable upload of <paramref name="count"/> random blocks of <paramref name="blockSize"/> bytes.</summary>
    public static async Task<(ApiClient Owner, byte[] Content, List<(string Hash, byte[] Bytes)> Blocks, JsonNode State)> BeginRandomAsync(
        DropSyncApiFactory factory, string path, int seed, int count, int blockSize)
    {
        var owner = await factory.SignUpAsync();
        var content = Dropbox.RandomBytes(count * blockSize, seed);
        var blocks = Split(content, Enumerable.Repeat(blockSize, count).ToArray());
        return (owner, content, blocks, await BeginAsync(owner, Declare(path, blocks)));
    }

    public static async Task<HttpResponseMessage> PutAsync(HttpClient http, JsonNode missing, byte[] bytes)
    {
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return await http.PutAsync(missing["url"]!.GetValue<string>(), content);
    }

    /// <summary>Uploads every block the server says is missing.</summary>
    public static async Task SendMissingAsync(HttpClient http, JsonNode state, List<(string Hash, byte[] Bytes)> blocks)
    {
        foreach (var missing in state["missing"]!.AsArray())
        {
            var bytes = blocks.First(b => b.Hash == missing!["hash"]!.GetValue<string>()).Bytes;
            using var response = await PutAsync(http, missing!, bytes);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }
}
