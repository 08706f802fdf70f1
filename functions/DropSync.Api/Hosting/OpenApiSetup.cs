using System.Text.Json.Nodes;
using DropSync.Core.Errors;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace DropSync.Api.Hosting;

/// <summary>
/// The OpenAPI document's error answers and enumerations, added here in one place rather than on every endpoint: each
/// operation lists the error statuses it can answer with the <c>Error</c> schema (<c>{"error","message",…}</c>), and
/// the string parameters that take a fixed set of values say which.
/// </summary>
internal static class OpenApiSetup
{
    private const string ErrorSchema = "Error";

    /// <summary>String inputs (query parameters and JSON fields) that take one of a fixed set of values.</summary>
    private static readonly Dictionary<string, string[]> Enums = new(StringComparer.Ordinal)
    {
        ["mode"] = ["add", "overwrite", "update"],
        ["uploadType"] = ["media", "resumable"],
        ["role"] = ["viewer", "editor"],
    };

    private static readonly string[] ServerModes = ["embedded", "aws"];

    public static void Configure(OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Components ??= new OpenApiComponents();
            document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
            document.Components.Schemas[ErrorSchema] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "Every error: a stable code, a message for people, and for some codes more fields (a conflict's current and conflicted_copy, …).",
                Required = new HashSet<string> { "error", "message" },
                Properties = new Dictionary<string, IOpenApiSchema>
                {
                    ["error"] = new OpenApiSchema
                    {
                        Type = JsonSchemaType.String,
                        Description = "Stable code (DropSync.Core.Errors.ErrorCodes); each code always comes with the same status.",
                        Enum = [.. ErrorCodes.All.Keys.Order(StringComparer.Ordinal).Select(code => (JsonNode)JsonValue.Create(code))],
                    },
                    ["message"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "What went wrong and what to do about it." },
                },
                AdditionalPropertiesAllowed = true,
            };
            return Task.CompletedTask;
        });

        options.AddOperationTransformer((operation, context, _) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            var anonymous = metadata.OfType<IAllowAnonymous>().Any();
            var path = "/" + (context.Description.RelativePath ?? "");
            operation.Responses ??= new OpenApiResponses();
            foreach (var (status, description) in ErrorStatuses(path, anonymous))
            {
                operation.Responses.TryAdd(status, new OpenApiResponse
                {
                    Description = description,
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/json"] = new OpenApiMediaType { Schema = new OpenApiSchemaReference(ErrorSchema, context.Document) },
                    },
                });
            }

            foreach (var parameter in (operation.Parameters ?? []).OfType<OpenApiParameter>())
            {
                if (parameter.Name is { } name && Enums.TryGetValue(name, out var values))
                {
                    parameter.Schema = EnumSchema(values);
                }
            }

            return Task.CompletedTask;
        });

        // The same values for JSON request fields (the resumable upload's mode, a member's role); only in requests:
        // /config's "mode" is the server's ("embedded" or "aws").
        options.AddSchemaTransformer((schema, context, _) =>
        {
            if (context.JsonPropertyInfo is { } property && property.PropertyType == typeof(string))
            {
                var values = property.DeclaringType == typeof(Apis.ServerConfigResponse) && property.Name == "mode"
                    ? ServerModes
                    : property.DeclaringType.Name.EndsWith("Request", StringComparison.Ordinal) && Enums.TryGetValue(property.Name, out var known) ? known : null;
                if (values is not null)
                {
                    schema.Enum = values.Select(v => (JsonNode)JsonValue.Create(v)).ToList();
                }
            }

            return Task.CompletedTask;
        });
    }

    private static OpenApiSchema EnumSchema(string[] values) =>
        new() { Type = JsonSchemaType.String, Enum = values.Select(v => (JsonNode)JsonValue.Create(v)).ToList() };

    /// <summary>The error statuses an operation can answer, by what kind of endpoint it is.</summary>
    private static IEnumerable<(string Status, string Description)> ErrorStatuses(string path, bool anonymous)
    {
        yield return ("400", "The request is malformed: a bad path, JSON body, parameter or rev.");
        if (!anonymous)
        {
            yield return ("401", "No access token, or one that is unknown or signed out.");
        }

        if (path.StartsWith("/files/", StringComparison.Ordinal) || path.StartsWith("/sharing/", StringComparison.Ordinal))
        {
            yield return ("403", "The caller may not do this (for example a viewer of a shared folder writing to it).");
        }

        yield return ("404", "Nothing is at that path, or no such upload, link or device.");
        if (path.StartsWith("/files/", StringComparison.Ordinal))
        {
            yield return ("409", "A conflict: the path changed since the given rev, exists already, is a folder, or a cursor must be reset.");
        }

        if (path.StartsWith("/files/upload", StringComparison.Ordinal))
        {
            yield return ("413", "The file or block is larger than allowed.");
        }

        if (path.StartsWith("/s/", StringComparison.Ordinal))
        {
            yield return ("401", "The link needs a password, or the password is wrong.");
            yield return ("410", "The link expired or was revoked.");
        }

        if (path.Contains("download", StringComparison.Ordinal))
        {
            yield return ("416", "The Range is outside the file.");
        }

        if (path.StartsWith("/files/", StringComparison.Ordinal) || path.StartsWith("/blocks", StringComparison.Ordinal) || path.StartsWith("/sharing/", StringComparison.Ordinal))
        {
            yield return ("507", "insufficient_storage: the server's disk is full; nothing was stored. Reads still work; try again later.");
        }

        if (path == "/auth/login")
        {
            yield return ("401", "invalid_credentials: the e-mail or password is wrong.");
        }

        // Rate limits (docs/security.md): per device on the API, per address and account on sign-in, per link on passwords.
        if (!anonymous || path is "/auth/login" or "/auth/register" || path.StartsWith("/s/", StringComparison.Ordinal))
        {
            yield return ("429", "too_many_requests: too many requests or wrong passwords; wait as long as Retry-After says.");
        }

        if (path is "/auth/login" or "/auth/register" or "/auth/change_password" || path.StartsWith("/s/", StringComparison.Ordinal))
        {
            yield return ("503", "server_busy: too many passwords are being checked at once; try again after Retry-After.");
        }

        yield return ("500", "Something failed on the server.");
    }
}
