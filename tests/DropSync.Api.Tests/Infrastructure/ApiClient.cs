using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DropSync.Api.Tests.Infrastructure;

/// <summary>A thin test client for the HTTP API: JSON in, status and JSON out, nothing hidden.</summary>
public sealed class ApiClient(HttpClient http) : IDisposable
{
    public HttpClient Http { get; } = http;

    public string? Email { get; private set; }

    public string? DeviceId { get; private set; }

    public string? AccessToken { get; private set; }

    public async Task RegisterAsync(string email, string password)
    {
        var (status, body) = await PostAsync("/auth/register", new { email, password });
        Assert.True(status == HttpStatusCode.OK, $"register failed: {status} {body}");
        Email = email;
    }

    public async Task LoginAsync(string email, string password, string deviceName)
    {
        var (status, body) = await PostAsync("/auth/login", new { email, password, device_name = deviceName });
        Assert.True(status == HttpStatusCode.OK, $"login failed: {status} {body}");
        Email = email;
        AccessToken = body["access_token"]!.GetValue<string>();
        DeviceId = body["device_id"]!.GetValue<string>();
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AccessToken);
    }

    public async Task<(HttpStatusCode Status, JsonNode Body)> PostAsync(string url, object? body)
    {
        using var response = await Http.PostAsJsonAsync(url, body);
        return (response.StatusCode, await ReadJsonAsync(response));
    }

    public async Task<(HttpStatusCode Status, JsonNode Body)> PostRawAsync(string url, string content, string contentType = "application/json")
    {
        using var request = new StringContent(content, Encoding.UTF8);
        request.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        using var response = await Http.PostAsync(url, request);
        return (response.StatusCode, await ReadJsonAsync(response));
    }

    public async Task<(HttpStatusCode Status, JsonNode Body)> UploadAsync(string path, byte[] content, string mode = "add", string? rev = null)
    {
        var url = $"/files/upload?uploadType=media&path={Uri.EscapeDataString(path)}&mode={mode}" + (rev is null ? "" : $"&rev={rev}");
        using var body = new ByteArrayContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await Http.PostAsync(url, body);
        return (response.StatusCode, await ReadJsonAsync(response));
    }

    public async Task<JsonNode> UploadOkAsync(string path, byte[] content, string mode = "add", string? rev = null)
    {
        var (status, body) = await UploadAsync(path, content, mode, rev);
        Assert.True(status == HttpStatusCode.OK, $"upload of {path} failed: {status} {body}");
        return body;
    }

    public async Task<byte[]> DownloadAsync(string path, string? rev = null)
    {
        using var response = await Http.PostAsJsonAsync("/files/download", new { path, rev });
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"download of {path} failed: {response.StatusCode} {Encoding.UTF8.GetString(bytes)}");
        return bytes;
    }

    public async Task<JsonNode> OkAsync(string url, object? body)
    {
        var (status, json) = await PostAsync(url, body);
        Assert.True(status == HttpStatusCode.OK, $"{url} failed: {status} {json}");
        return json;
    }

    public static async Task<JsonNode> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (string.IsNullOrEmpty(text))
        {
            return new JsonObject();
        }

        try
        {
            return JsonNode.Parse(text) ?? new JsonObject();
        }
        catch (JsonException)
        {
            throw new Xunit.Sdk.XunitException($"Expected JSON from {response.RequestMessage?.RequestUri}, got {response.StatusCode}: {text}");
        }
    }

    public void Dispose() => Http.Dispose();
}
