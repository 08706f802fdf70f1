using System.Text.Json.Nodes;

namespace DropSync.Testing;

/// <summary>What a client does with one entry of a resumable upload's "missing" list: PUT the block to its signed URL.</summary>
public static class SignedBlockUploads
{
    /// <summary>
    /// PUTs <paramref name="bytes"/> to the entry's <c>url</c> with the entry's <c>headers</c> (a presigned S3 PUT binds
    /// some, such as the SHA-256 checksum); a refusal throws with the status and the answer's body, except 412 to a
    /// conditional write (the block is already stored).
    /// </summary>
    public static async Task PutAsync(HttpClient http, JsonNode missingBlock, byte[] bytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(missingBlock);
        using var put = new HttpRequestMessage(HttpMethod.Put, (string)missingBlock["url"]!) { Content = new ByteArrayContent(bytes) };
        foreach (var (name, value) in missingBlock["headers"]?.AsObject() ?? [])
        {
            if (!put.Headers.TryAddWithoutValidation(name, (string?)value))
            {
                put.Content.Headers.Remove(name);
                put.Content.Headers.TryAddWithoutValidation(name, (string?)value);
            }
        }

        using var response = await http.SendAsync(put, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == System.Net.HttpStatusCode.PreconditionFailed && put.Headers.Contains("If-None-Match"))
        {
            // A conditional write (If-None-Match: *) of a content-named key: 412 means the block is already there.
            return;
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException(
                $"PUT of block {(string?)missingBlock["hash"]} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}",
                null,
                response.StatusCode);
        }
    }
}
