using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Web;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;

namespace DropSync.AwsHarness.Recording;

/// <summary>
/// S3 object tagging, which fauxqs does not implement (its GET ?tagging answers the object's bytes and a PUT ?tagging
/// would overwrite the object), served by the S3 proxies from one in-memory store shared by every function's proxy:
/// <list type="bullet">
/// <item>PutObjectTagging (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html): PUT /{bucket}/{key}?tagging
/// with a Tagging XML body replaces the object's tag set (at most 10 tags); 200.</item>
/// <item>GetObjectTagging (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectTagging.html): GET ?tagging answers the
/// tag set as Tagging XML.</item>
/// <item>DeleteObjectTagging (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjectTagging.html): 204.</item>
/// </list>
/// All three answer 404 NoSuchKey for an object that does not exist. Writing an object (PutObject, CopyObject) sets its
/// tags from the <c>x-amz-tagging</c> header (URL query form) or, for a copy, the source's unless
/// <c>x-amz-tagging-directive: REPLACE</c> (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html); deleting an
/// object drops its tags.
/// </summary>
public sealed class S3ObjectTagging
{
    private const string Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";
    private const int MaxTags = 10;
    private readonly ConcurrentDictionary<(string Bucket, string Key), IReadOnlyList<KeyValuePair<string, string>>> _tags = new();

    /// <summary>Whether this request is an object tagging call the proxy answers itself.</summary>
    public static bool IsTaggingRequest(HttpRequest request, IReadOnlyCollection<string> queryKeys) =>
        queryKeys.Contains("tagging") && (HttpMethods.IsGet(request.Method) || HttpMethods.IsPut(request.Method) || HttpMethods.IsDelete(request.Method));

    /// <summary>The object a path-style target (or a copy source) names, as the store's key.</summary>
    private static (string Bucket, string Key) ObjectOf(string rawTarget) => S3Calls.BucketAndKey(rawTarget);

    /// <summary>Answers a tagging call; <paramref name="exists"/> asks S3 (fauxqs) whether the object is there.</summary>
    public async Task AnswerAsync(HttpContext context, string rawTarget, byte[]? body, Func<Task<bool>> exists)
    {
        var response = context.Response;
        var target = ObjectOf(rawTarget);
        if (!await exists().ConfigureAwait(false))
        {
            await ErrorAsync(response, HttpStatusCode.NotFound, "NoSuchKey", "The specified key does not exist.").ConfigureAwait(false);
            return;
        }

        var request = context.Request;
        if (HttpMethods.IsGet(request.Method))
        {
            var tags = _tags.GetValueOrDefault(target) ?? [];
            var xml = new XElement(
                XName.Get("Tagging", Namespace),
                new XElement(
                    XName.Get("TagSet", Namespace),
                    tags.Select(t => new XElement(XName.Get("Tag", Namespace), new XElement(XName.Get("Key", Namespace), t.Key), new XElement(XName.Get("Value", Namespace), t.Value)))));
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/xml";
            await response.WriteAsync("<?xml version=\"1.0\" encoding=\"UTF-8\"?>" + xml.ToString(SaveOptions.DisableFormatting), context.RequestAborted).ConfigureAwait(false);
        }
        else if (HttpMethods.IsPut(request.Method))
        {
            List<KeyValuePair<string, string>> tags;
            try
            {
                tags = XDocument.Parse(Encoding.UTF8.GetString(body ?? []))
                    .Descendants().Where(e => e.Name.LocalName == "Tag")
                    .Select(e => KeyValuePair.Create(
                        e.Elements().Single(c => c.Name.LocalName == "Key").Value,
                        e.Elements().SingleOrDefault(c => c.Name.LocalName == "Value")?.Value ?? ""))
                    .ToList();
            }
            catch (Exception e) when (e is System.Xml.XmlException or InvalidOperationException)
            {
                await ErrorAsync(response, HttpStatusCode.BadRequest, "MalformedXML", "The XML you provided was not well-formed.").ConfigureAwait(false);
                return;
            }

            if (tags.Count > MaxTags || tags.Select(t => t.Key).Distinct(StringComparer.Ordinal).Count() != tags.Count)
            {
                await ErrorAsync(response, HttpStatusCode.BadRequest, "InvalidTag", "Object tags cannot be greater than 10 and keys must be unique.").ConfigureAwait(false);
                return;
            }

            _tags[target] = tags;
            response.StatusCode = StatusCodes.Status200OK;
        }
        else
        {
            _tags.TryRemove(target, out _);
            response.StatusCode = StatusCodes.Status204NoContent;
        }
    }

    /// <summary>Keeps tags in step with a write or delete of the object that S3 (fauxqs) answered with success.</summary>
    public void ObjectChanged(HttpRequest request, string rawTarget, string? copySource)
    {
        var target = ObjectOf(rawTarget);
        if (HttpMethods.IsDelete(request.Method))
        {
            _tags.TryRemove(target, out _);
            return;
        }

        if (!HttpMethods.IsPut(request.Method) || request.Query.ContainsKey("partNumber"))
        {
            return;
        }

        var header = request.Headers["x-amz-tagging"].ToString();
        var replace = string.Equals(request.Headers["x-amz-tagging-directive"].ToString(), "REPLACE", StringComparison.OrdinalIgnoreCase);
        if (copySource is not null && !replace)
        {
            var source = ObjectOf(copySource);
            if (_tags.TryGetValue(source, out var copied))
            {
                _tags[target] = copied;
            }
            else
            {
                _tags.TryRemove(target, out _);
            }
        }
        else if (header.Length > 0)
        {
            var query = HttpUtility.ParseQueryString(header);
            _tags[target] = query.AllKeys.Where(k => k is not null).Select(k => KeyValuePair.Create(k!, query[k] ?? "")).ToList();
        }
        else
        {
            _tags.TryRemove(target, out _);
        }
    }

    private static async Task ErrorAsync(HttpResponse response, HttpStatusCode status, string code, string message)
    {
        response.StatusCode = (int)status;
        response.ContentType = "application/xml";
        var xml = new XElement("Error", new XElement("Code", code), new XElement("Message", message));
        await response.WriteAsync("<?xml version=\"1.0\" encoding=\"UTF-8\"?>" + xml.ToString(SaveOptions.DisableFormatting)).ConfigureAwait(false);
    }
}
