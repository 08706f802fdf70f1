using System.Collections.Concurrent;
using System.Net;
using System.Text;
using DropSync.Testing;

namespace DropSync.Aws.Tests.Infrastructure;

/// <summary>
/// S3 with object tagging, for an S3 server without it (fauxqs 1.9 overwrites the object with a PUT ?tagging body):
/// a loopback proxy that answers the object tagging calls itself, per their documented contract — PutObjectTagging
/// replaces the object's tag set and answers 200, GetObjectTagging returns it (an empty TagSet if none), both 404
/// NoSuchKey if the object does not exist, and a new PUT or a DELETE of the object drops its tags
/// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html,
/// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectTagging.html,
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html) — and forwards every other request
/// unchanged. It counts the tagging calls, so a test can assert how many a run made.
/// </summary>
internal sealed class TaggingS3Proxy : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly HttpClient _upstream = new() { Timeout = TimeSpan.FromMinutes(2) };
    private readonly ConcurrentDictionary<string, string> _tags = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly string _target;
    private Task? _loop;
    private int _putTagging;

    public TaggingS3Proxy(string upstream)
    {
        _target = upstream.TrimEnd('/');
        var port = LocalPorts.Free();
        Endpoint = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Endpoint + "/");
    }

    public string Endpoint { get; }

    /// <summary>PutObjectTagging requests answered so far.</summary>
    public int PutTaggingRequests => Volatile.Read(ref _putTagging);

    public void Start()
    {
        _listener.Start();
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception) when (_stop.IsCancellationRequested)
                {
                    return;
                }

                _ = Task.Run(() => HandleAsync(context));
            }
        });
    }

    /// <summary>The value of a tag on /bucket/key (null: no such tag).</summary>
    public string? Tag(string bucket, string key, string tagKey)
    {
        if (!_tags.TryGetValue($"/{bucket}/{key}", out var xml))
        {
            return null;
        }

        var tagging = System.Xml.Linq.XDocument.Parse(xml);
        return tagging.Descendants().Where(e => e.Name.LocalName == "Tag")
            .FirstOrDefault(t => t.Elements().Any(e => e.Name.LocalName == "Key" && e.Value == tagKey))?
            .Elements().FirstOrDefault(e => e.Name.LocalName == "Value")?.Value;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        _listener.Close();
        if (_loop is not null)
        {
            await _loop;
        }

        _upstream.Dispose();
        _stop.Dispose();
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        try
        {
            var path = request.Url!.AbsolutePath;
            var query = request.Url.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries);
            var body = await ReadBodyAsync(request);
            if (query.Any(q => q == "tagging" || q.StartsWith("tagging=", StringComparison.Ordinal)))
            {
                await TaggingAsync(request.HttpMethod, path, body, response);
                return;
            }

            if (request.HttpMethod is "PUT" or "DELETE" && query.Length == 0)
            {
                _tags.TryRemove(path, out _);
            }

            await ForwardAsync(request, body, response);
        }
        catch (Exception e)
        {
            response.StatusCode = 502;
            await WriteAsync(response, Encoding.UTF8.GetBytes(e.Message));
        }
    }

    private async Task TaggingAsync(string method, string path, byte[] body, HttpListenerResponse response)
    {
        using (var head = await _upstream.SendAsync(new HttpRequestMessage(HttpMethod.Head, _target + path)))
        {
            if (head.StatusCode == HttpStatusCode.NotFound)
            {
                response.StatusCode = 404;
                response.ContentType = "application/xml";
                await WriteAsync(response, Encoding.UTF8.GetBytes("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>"));
                return;
            }
        }

        switch (method)
        {
            case "PUT":
                Interlocked.Increment(ref _putTagging);
                _tags[path] = Encoding.UTF8.GetString(body);
                response.StatusCode = 200;
                await WriteAsync(response, []);
                break;
            case "GET":
                response.StatusCode = 200;
                response.ContentType = "application/xml";
                await WriteAsync(response, Encoding.UTF8.GetBytes(_tags.TryGetValue(path, out var xml)
                    ? xml
                    : "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet></TagSet></Tagging>"));
                break;
            default:
                _tags.TryRemove(path, out _);
                response.StatusCode = 204;
                await WriteAsync(response, []);
                break;
        }
    }

    private async Task ForwardAsync(HttpListenerRequest request, byte[] body, HttpListenerResponse response)
    {
        using var forward = new HttpRequestMessage(new HttpMethod(request.HttpMethod), _target + request.Url!.PathAndQuery);
        var content = new ByteArrayContent(body);
        foreach (var name in request.Headers.AllKeys.OfType<string>())
        {
            if (name is "Host" or "Content-Length" or "Transfer-Encoding" or "Connection" or "Expect")
            {
                continue;
            }

            var value = request.Headers[name]!;
            if (!forward.Headers.TryAddWithoutValidation(name, value))
            {
                content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        if (body.Length > 0 || request.HttpMethod is "PUT" or "POST")
        {
            forward.Content = content;
        }
        else
        {
            content.Dispose();
        }

        using var answer = await _upstream.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode = (int)answer.StatusCode;
        var bytes = await answer.Content.ReadAsByteArrayAsync();
        foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers))
        {
            if (name is "Transfer-Encoding" or "Content-Length" or "Connection")
            {
                continue;
            }

            response.Headers[name] = string.Join(",", values);
        }

        if (request.HttpMethod == "HEAD")
        {
            response.ContentLength64 = answer.Content.Headers.ContentLength ?? 0;
            response.Close();
            return;
        }

        await WriteAsync(response, bytes);
    }

    private static async Task<byte[]> ReadBodyAsync(HttpListenerRequest request)
    {
        using var buffer = new MemoryStream();
        await request.InputStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private static async Task WriteAsync(HttpListenerResponse response, byte[] bytes)
    {
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes);
        response.Close();
    }
}
