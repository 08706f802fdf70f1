using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using DropSync.Core.Files;
using DropSync.Core.Paths;
using DropSync.Core.Ports;
using Microsoft.AspNetCore.Http;
using static DropSync.Dav.DavXml;

namespace DropSync.Dav;

/// <summary>PROPFIND (depth 0 and 1) and PROPPATCH (dead properties, stored through <see cref="IDeadPropertyStore"/>).</summary>
internal sealed partial class DavHandler
{
    private enum PropfindKind
    {
        AllProp,
        PropName,
        Prop,
    }

    private async Task PropfindAsync(DavRequest request)
    {
        await CheckIfHeaderAsync(request);
        var depth = request.Http.Request.Headers["Depth"].ToString().Trim();
        if (depth.Equals("infinity", StringComparison.OrdinalIgnoreCase))
        {
            // As Nextcloud: a whole tree in one answer is refused (RFC 4918 §9.1); clients walk it with Depth 1.
            throw new DavException(StatusCodes.Status403Forbidden, "propfind_finite_depth", "PROPFIND with Depth: infinity is not supported; use Depth 0 or 1.", Error("propfind-finite-depth"));
        }

        if (depth is not ("" or "0" or "1"))
        {
            throw new DavException(StatusCodes.Status400BadRequest, "invalid_depth", "PROPFIND takes Depth 0 or 1.");
        }

        var (kind, names) = ParsePropfind(await ReadBodyAsync(request.Http.Request, request.Aborted));
        var self = await request.StatAsync(request.Path) ?? throw NotFound(request);
        var first = await PropfindResponseAsync(request, request.Path, self, kind, names);
        if (self.Tag != "folder" || depth == "0")
        {
            await WriteAsync(request.Http.Response, StatusCodes.Status207MultiStatus, new XElement(D("multistatus"), new XAttribute(XNamespace.Xmlns + "d", DavNs), first), request.Aborted);
            return;
        }

        // Depth 1 on a folder of any size: its children are read a page at a time and each page is written out before
        // the next is read, so memory stays one page whatever the folder holds.
        var response = request.Http.Response;
        response.StatusCode = StatusCodes.Status207MultiStatus;
        response.ContentType = "application/xml; charset=utf-8";
        await using var writer = XmlWriter.Create(response.Body, new XmlWriterSettings { Async = true, Encoding = new UTF8Encoding(false) });
        await writer.WriteStartDocumentAsync();
        await writer.WriteStartElementAsync("d", "multistatus", DavNs.NamespaceName);
        await first.WriteToAsync(writer, request.Aborted);
        string? after = null;
        do
        {
            var page = await _pager.ListPageAsync(request.Caller, request.Path.IsRoot ? "/" : request.Path.Display, recursive: false, after, PropfindPageSize, request.Aborted);
            foreach (var child in page.Entries)
            {
                await (await PropfindResponseAsync(request, DropPath.Parse(child.Path, false), child, kind, names)).WriteToAsync(writer, request.Aborted);
            }

            await writer.FlushAsync();
            after = page.NextAfter;
        }
        while (after is not null);

        await writer.WriteEndElementAsync();
        await writer.WriteEndDocumentAsync();
    }

    /// <summary>Children read (and written) per page of a Depth 1 PROPFIND.</summary>
    private const int PropfindPageSize = 1000;

    private static (PropfindKind Kind, IReadOnlyList<XName> Names) ParsePropfind(XDocument? body)
    {
        if (body is null)
        {
            return (PropfindKind.AllProp, []);
        }

        if (body.Root?.Name != D("propfind"))
        {
            throw new DavException(StatusCodes.Status400BadRequest, "invalid_propfind", "A PROPFIND body is a DAV:propfind element.");
        }

        var choice = body.Root.Elements().FirstOrDefault(e => e.Name.Namespace == DavNs && e.Name.LocalName is "allprop" or "propname" or "prop");
        return choice?.Name.LocalName switch
        {
            "propname" => (PropfindKind.PropName, []),
            "prop" => (PropfindKind.Prop, choice.Elements().Select(e => e.Name).ToList()),
            "allprop" => (PropfindKind.AllProp, []),
            _ => throw new DavException(StatusCodes.Status400BadRequest, "invalid_propfind", "A PROPFIND body names allprop, propname or prop."),
        };
    }

    private async Task<XElement> PropfindResponseAsync(DavRequest request, DropPath path, FileMetadata entry, PropfindKind kind, IReadOnlyList<XName> names)
    {
        var at = request.At(path);
        var href = DavRequest.Href(path, entry.Tag == "folder");
        var activeLocks = _locks.Affecting(at, andBelow: false).Select(l => ActiveLock(l)).ToList();
        var found = new List<XElement>();
        var missing = new List<XElement>();
        IReadOnlyList<DeadProperty> dead = kind == PropfindKind.Prop && names.All(LiveProperties.IsLive)
            ? []
            : await _properties.GetPropertiesAsync(at.NamespaceId, at.Inner.Key, request.Aborted);
        if (kind == PropfindKind.Prop)
        {
            foreach (var name in names)
            {
                var value = await PropertyAsync(request, path, entry, name, activeLocks, dead);
                if (value is null)
                {
                    missing.Add(new XElement(name));
                }
                else
                {
                    found.Add(value);
                }
            }
        }
        else
        {
            foreach (var name in LiveProperties.AllProp)
            {
                if (LiveProperties.Value(name, entry, activeLocks) is { } value)
                {
                    found.Add(kind == PropfindKind.PropName ? new XElement(name) : value);
                }
            }

            found.AddRange(dead.Select(d => kind == PropfindKind.PropName ? new XElement(XName.Get(d.Name, d.Namespace)) : XElement.Parse(d.Xml)));
        }

        var response = new XElement(D("response"), Href(href));
        if (found.Count > 0 || missing.Count == 0)
        {
            response.Add(new XElement(D("propstat"), new XElement(D("prop"), found), new XElement(D("status"), Status(200))));
        }

        if (missing.Count > 0)
        {
            response.Add(new XElement(D("propstat"), new XElement(D("prop"), missing), new XElement(D("status"), Status(404))));
        }

        return response;
    }

    private async Task<XElement?> PropertyAsync(DavRequest request, DropPath path, FileMetadata entry, XName name, IEnumerable<XElement> activeLocks, IReadOnlyList<DeadProperty> dead)
    {
        if (name == LiveProperties.QuotaUsed)
        {
            long used = entry.Tag == "folder"
                ? (await _files.ListFolderAsync(request.Caller, path.IsRoot ? "/" : path.Display, recursive: true, request.Aborted)).Sum(e => e.Size ?? 0)
                : entry.Size ?? 0;
            return new XElement(name, used.ToString(CultureInfo.InvariantCulture));
        }

        if (name == LiveProperties.QuotaAvailable)
        {
            return _settings.AvailableBytes() is { } available ? new XElement(name, available.ToString(CultureInfo.InvariantCulture)) : null;
        }

        if (LiveProperties.IsLive(name))
        {
            return LiveProperties.Value(name, entry, activeLocks);
        }

        var stored = dead.FirstOrDefault(d => d.Namespace == name.NamespaceName && d.Name == name.LocalName);
        return stored is null ? null : XElement.Parse(stored.Xml);
    }

    private async Task ProppatchAsync(DavRequest request)
    {
        var tokens = await CheckIfHeaderAsync(request);
        var body = await ReadBodyAsync(request.Http.Request, request.Aborted);
        if (body?.Root?.Name != D("propertyupdate"))
        {
            throw new DavException(StatusCodes.Status400BadRequest, "invalid_proppatch", "A PROPPATCH body is a DAV:propertyupdate element.");
        }

        var entry = await request.StatAsync(request.Path) ?? throw NotFound(request);
        RequireUnlocked(request, request.Path, andBelow: false, tokens);

        // Instructions apply in document order, so only each property's last one counts; live properties are protected.
        var outcome = new Dictionary<XName, XElement?>();
        var protectedNames = new List<XName>();
        foreach (var instruction in body.Root.Elements().Where(e => e.Name == D("set") || e.Name == D("remove")))
        {
            foreach (var property in instruction.Elements(D("prop")).Elements())
            {
                if (LiveProperties.IsLive(property.Name))
                {
                    protectedNames.Add(property.Name);
                }

                outcome[property.Name] = instruction.Name == D("set") ? property : null;
            }
        }

        var at = request.At(request.Path);
        if (protectedNames.Count == 0)
        {
            var set = outcome.Where(o => o.Value is not null)
                .Select(o => new DeadProperty(o.Key.NamespaceName, o.Key.LocalName, o.Value!.ToString(SaveOptions.DisableFormatting))).ToList();
            var remove = outcome.Where(o => o.Value is null).Select(o => (o.Key.NamespaceName, o.Key.LocalName)).ToList();
            await _properties.UpdateAsync(at.NamespaceId, at.Inner.Key, set, remove, request.Aborted);
        }

        // All or nothing (RFC 4918 §9.2): with a protected property in the request, the others fail as 424.
        var response = new XElement(D("response"), Href(DavRequest.Href(request.Path, entry.Tag == "folder")));
        foreach (var group in outcome.Keys.GroupBy(n => protectedNames.Count == 0 ? 200 : protectedNames.Contains(n) ? 403 : 424))
        {
            response.Add(new XElement(D("propstat"), new XElement(D("prop"), group.Select(n => new XElement(n))), new XElement(D("status"), Status(group.Key))));
        }

        await WriteAsync(request.Http.Response, StatusCodes.Status207MultiStatus, new XElement(D("multistatus"), new XAttribute(XNamespace.Xmlns + "d", DavNs), response), request.Aborted);
    }
}
