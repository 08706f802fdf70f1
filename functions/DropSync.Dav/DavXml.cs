using System.Text;
using System.Xml;
using System.Xml.Linq;
using DropSync.Core.Errors;
using Microsoft.AspNetCore.Http;

namespace DropSync.Dav;

/// <summary>The DAV: namespace's names, bounded request-body parsing and XML answers.</summary>
internal static class DavXml
{
    /// <summary>A request body (PROPFIND, PROPPATCH, LOCK) is at most 1 MiB: far above what any client sends.</summary>
    public const int MaxRequestXmlBytes = 1024 * 1024;

    public static readonly XNamespace DavNs = "DAV:";

    public static XName D(string localName) => DavNs + localName;

    /// <summary>The request body as XML, or null when it is empty. Malformed XML is a 400; DTDs are refused.</summary>
    public static async Task<XDocument?> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength is > MaxRequestXmlBytes)
        {
            throw TooLarge();
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int n;
        while ((n = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + n > MaxRequestXmlBytes)
            {
                throw TooLarge();
            }

            buffer.Write(chunk, 0, n);
        }

        if (buffer.Length == 0)
        {
            return null;
        }

        buffer.Position = 0;
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersInDocument = MaxRequestXmlBytes };
        try
        {
            using var reader = XmlReader.Create(buffer, settings);
            return XDocument.Load(reader, LoadOptions.PreserveWhitespace);
        }
        catch (XmlException e)
        {
            throw Errors.BadRequest(ErrorCodes.MalformedXml, "The request body is not well-formed XML: " + e.Message);
        }
    }

    public static async Task WriteAsync(HttpResponse response, int status, XElement root, CancellationToken ct)
    {
        response.StatusCode = status;
        response.ContentType = "application/xml; charset=utf-8";
        var bytes = Encoding.UTF8.GetBytes(new XDocument(new XDeclaration("1.0", "utf-8", null), root).Declaration + "\n" + root.ToString(SaveOptions.DisableFormatting));
        response.ContentLength = bytes.Length;
        await response.Body.WriteAsync(bytes, ct);
    }

    /// <summary>A <c>DAV:error</c> body naming a precondition (RFC 4918 §16), e.g. lock-token-submitted.</summary>
    public static XElement Error(string condition, params object[] content) =>
        new(D("error"), new XAttribute(XNamespace.Xmlns + "d", DavNs), new XElement(D(condition), content));

    public static XElement Href(string href) => new(D("href"), href);

    public static string Status(int code) => code switch
    {
        200 => "HTTP/1.1 200 OK",
        403 => "HTTP/1.1 403 Forbidden",
        404 => "HTTP/1.1 404 Not Found",
        409 => "HTTP/1.1 409 Conflict",
        423 => "HTTP/1.1 423 Locked",
        424 => "HTTP/1.1 424 Failed Dependency",
        _ => $"HTTP/1.1 {code} Status",
    };

    private static DropSyncException TooLarge() =>
        Errors.TooLarge(ErrorCodes.XmlTooLarge, $"A WebDAV request body is at most {MaxRequestXmlBytes} bytes.");
}
