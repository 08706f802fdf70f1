using DropSync.Core.Contract;
using DropSync.Core.Files;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace DropSync.Api.Hosting;

/// <summary>
/// What the OpenAPI document says about the API as a whole, so that a client generated from it works: the title, the
/// server's address as written (no trailing slash), the bearer-token security scheme with each operation's requirement
/// (anonymous operations say <c>security: []</c>), a description for every tag, and the answers that one return type
/// cannot describe (an upload answers metadata or a resumable upload's state, by its uploadType).
/// </summary>
internal static class OpenApiContract
{
    public const string BearerScheme = "bearer";

    private static readonly Dictionary<string, string> TagDescriptions = new(StringComparer.Ordinal)
    {
        ["Server"] = "What a client needs to know before it talks to this server.",
        ["Auth"] = "Accounts and devices: each login is a device with its own revocable access token.",
        ["Files"] = "Uploading, downloading, listing and organising files and folders.",
        ["Changes"] = "Catching up by cursor, and the live change feed (WebSocket).",
        ["Blocks"] = "Block transfer through signed URLs (the embedded stand-in for presigned S3 URLs); the URL is the credential.",
        ["Sharing"] = "Sharing folders with people, and managing shared links.",
        ["Shared links"] = "What anyone with a shared link can see and download, without an account.",
        ["Notifications"] = "Notification history with read state.",
    };

    public static void Configure(OpenApiOptions options)
    {
        // The error body is the document's "Error" schema (OpenApiSetup describes it), whichever record carries it.
        options.CreateSchemaReferenceId = type => type.Type == typeof(ErrorResponse) ? "Error" : OpenApiOptions.CreateDefaultSchemaReferenceId(type);

        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "DropSync API",
                Version = "1",
                Description = "File storage and sync. Authenticate with \"Authorization: Bearer <access_token>\" from /auth/login; " +
                    "every error is JSON {\"error\": \"<code>\", \"message\": ...}. JSON names are snake_case.",
            };
            foreach (var server in document.Servers ?? [])
            {
                server.Url = server.Url?.TrimEnd('/');
            }

            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "The access_token from /auth/login (one per device; /auth/logout or /auth/revoke_device ends it).",
            };
            document.Tags = new HashSet<OpenApiTag>(
                TagDescriptions.Select(t => new OpenApiTag { Name = t.Key, Description = t.Value }));
            return Task.CompletedTask;
        });

        options.AddOperationTransformer(async (operation, context, ct) =>
        {
            var anonymous = context.Description.ActionDescriptor.EndpointMetadata.OfType<IAllowAnonymous>().Any();
            operation.Security = anonymous
                ? []
                : [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] }];

            if (operation.OperationId == "upload")
            {
                await DescribeUploadAnswerAsync(operation, context, ct);
            }

            // Downloads stream raw bytes (not base64, which a byte[] schema would say).
            foreach (var response in operation.Responses?.Values.AsEnumerable() ?? [])
            {
                if (response.Content?.TryGetValue("application/octet-stream", out var bytes) == true && bytes is OpenApiMediaType media)
                {
                    media.Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" };
                }
            }
        });

        options.AddSchemaTransformer((schema, context, _) =>
        {
            DescribeAsWritten(schema, context);
            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// The schema of a type as the API writes it (JsonSetup): null fields are left out, so a nullable property is not
    /// required (unless it is always written, as /config's max_response_bytes); times are strings (ApiTimestamps).
    /// </summary>
    private static void DescribeAsWritten(OpenApiSchema schema, OpenApiSchemaTransformerContext context)
    {
        var type = Nullable.GetUnderlyingType(context.JsonTypeInfo.Type) ?? context.JsonTypeInfo.Type;
        if (type == typeof(DateTimeOffset) || type == typeof(DateTime))
        {
            schema.Type = context.JsonTypeInfo.Type == type ? JsonSchemaType.String : JsonSchemaType.String | JsonSchemaType.Null;
            schema.Format = "date-time";
        }

        if (context.JsonTypeInfo.Kind != System.Text.Json.Serialization.Metadata.JsonTypeInfoKind.Object || schema.Required is null)
        {
            return;
        }

        foreach (var property in context.JsonTypeInfo.Properties)
        {
            var alwaysWritten = property.AttributeProvider?.GetCustomAttributes(typeof(System.Text.Json.Serialization.JsonIgnoreAttribute), false)
                .OfType<System.Text.Json.Serialization.JsonIgnoreAttribute>().Any(a => a.Condition == System.Text.Json.Serialization.JsonIgnoreCondition.Never) == true;
            var nullable = property.IsGetNullable && (!property.PropertyType.IsValueType || Nullable.GetUnderlyingType(property.PropertyType) is not null);
            if (nullable && !alwaysWritten)
            {
                schema.Required.Remove(property.Name);
            }
            else if (!nullable && property.PropertyType == typeof(string) && property.Set is null
                && schema.Properties?.TryGetValue(property.Name, out var written) == true && written is OpenApiSchema computed)
            {
                // A computed string (path_lower) is always written; the generator takes it for an optional nullable one.
                computed.Type = JsonSchemaType.String;
                schema.Required.Add(property.Name);
            }
        }
    }

    /// <summary>/files/upload answers a file's metadata (uploadType=media) or a resumable upload's state (uploadType=resumable).</summary>
    private static async Task DescribeUploadAnswerAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var document = context.Document!;
        var metadata = await ComponentAsync<FileMetadata>(document, context, ct);
        var state = await ComponentAsync<ResumableUploadState>(document, context, ct);
        operation.Responses ??= new OpenApiResponses();
        operation.Responses["200"] = new OpenApiResponse
        {
            Description = "uploadType=media: the stored file's metadata. uploadType=resumable: the upload's id and the blocks still to PUT.",
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/json"] = new OpenApiMediaType { Schema = new OpenApiSchema { OneOf = [metadata, state] } },
            },
        };
    }

    private static async Task<IOpenApiSchema> ComponentAsync<T>(OpenApiDocument document, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var name = typeof(T).Name;
        if (document.Components?.Schemas?.ContainsKey(name) != true)
        {
            document.AddComponent(name, await context.GetOrCreateSchemaAsync(typeof(T), null, ct));
        }

        return new OpenApiSchemaReference(name, document);
    }
}
