using System.Globalization;
using System.Xml.Linq;
using DropSync.Core.Files;
using static DropSync.Dav.DavXml;

namespace DropSync.Dav;

/// <summary>The properties the server computes (RFC 4918 §15, RFC 4331 quotas); clients cannot set them.</summary>
internal static class LiveProperties
{
    public static readonly XName QuotaUsed = D("quota-used-bytes");
    public static readonly XName QuotaAvailable = D("quota-available-bytes");

    /// <summary>What allprop and propname answer. The quota properties are left out, as RFC 4331 §3 asks (they cost a walk).</summary>
    public static readonly XName[] AllProp =
    [
        D("creationdate"), D("displayname"), D("getcontentlength"), D("getcontenttype"), D("getetag"), D("getlastmodified"),
        D("resourcetype"), D("supportedlock"), D("lockdiscovery"),
    ];

    public static bool IsLive(XName name) => AllProp.Contains(name) || name == QuotaUsed || name == QuotaAvailable;

    /// <summary>The value of a live property of an entry, or null when the entry has none (e.g. a folder's getcontentlength).</summary>
    public static XElement? Value(XName name, FileMetadata entry, IEnumerable<XElement> activeLocks)
    {
        var isFolder = entry.Tag == "folder";
        return name.LocalName switch
        {
            "creationdate" when entry.ServerModified is { } time => new XElement(name, time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)),
            "displayname" => new XElement(name, entry.Name),
            "getcontentlength" when !isFolder => new XElement(name, (entry.Size ?? 0).ToString(CultureInfo.InvariantCulture)),
            "getcontenttype" when !isFolder => new XElement(name, DavHandler.ContentTypeOf(entry.Name)),
            "getetag" when DavRequest.ETagOf(entry) is { } etag => new XElement(name, etag),
            "getlastmodified" when entry.ServerModified is { } time => new XElement(name, time.ToString("R", CultureInfo.InvariantCulture)),
            "resourcetype" => new XElement(name, isFolder ? new XElement(D("collection")) : null),
            "supportedlock" => new XElement(name, LockEntry("exclusive"), LockEntry("shared")),
            "lockdiscovery" => new XElement(name, activeLocks),
            _ => null,
        };
    }

    private static XElement LockEntry(string scope) =>
        new(D("lockentry"), new XElement(D("lockscope"), new XElement(D(scope))), new XElement(D("locktype"), new XElement(D("write"))));
}
