using System.Net;
using DropSync.Api.Tests.Infrastructure;

namespace DropSync.Api.Tests;

/// <summary>Bad input gets a clear JSON error, and what is already stored stays exactly as it was.</summary>
public sealed class BadInputTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    [Theory]
    [InlineData("/../etc/passwd")]
    [InlineData("/a/../../b")]
    [InlineData("/./a")]
    [InlineData("relative.txt")]
    [InlineData("")]
    [InlineData("/a//b")]
    [InlineData("/tab\there")]
    [InlineData("/back\\slash")]
    public async Task Paths_that_escape_or_are_malformed_are_refused(string path)
    {
        var alice = await factory.SignUpAsync();

        var (status, body) = await alice.UploadAsync(path, "x"u8.ToArray());

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("malformed_path", body["error"]!.GetValue<string>());
        Assert.Empty((await alice.OkAsync("/files/list_folder", new { path = "", recursive = true }))["entries"]!.AsArray());
    }

    [Fact]
    public async Task Too_long_paths_and_names_are_refused()
    {
        var alice = await factory.SignUpAsync();

        var longName = await alice.UploadAsync("/" + new string('n', 256), "x"u8.ToArray());
        var longPath = await alice.UploadAsync(string.Concat(Enumerable.Repeat("/abcdefghij", 100)), "x"u8.ToArray());

        Assert.Equal("malformed_path", longName.Body["error"]!.GetValue<string>());
        Assert.Equal("malformed_path", longPath.Body["error"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/REPORT.txt")]
    [InlineData("/report.TXT")]
    public async Task A_name_that_clashes_by_case_is_refused_and_the_original_is_untouched(string clash)
    {
        var alice = await factory.SignUpAsync();
        await alice.UploadOkAsync("/report.txt", "original"u8.ToArray());

        var (status, body) = await alice.UploadAsync(clash, "other"u8.ToArray(), "overwrite");

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("name_clash", body["error"]!.GetValue<string>());
        Assert.Equal("original"u8.ToArray(), await alice.DownloadAsync("/report.txt"));
    }

    [Fact]
    public async Task A_name_that_clashes_by_unicode_normalisation_is_the_same_file()
    {
        var alice = await factory.SignUpAsync();
        var precomposed = await alice.UploadOkAsync("/caf\u00e9.txt", "nfc"u8.ToArray());

        var decomposed = await alice.UploadAsync("/cafe\u0301.txt", "nfd"u8.ToArray());

        // NFD input is normalised to NFC at the boundary, so it names the same file: a plain add conflicts.
        Assert.Equal(HttpStatusCode.Conflict, decomposed.Status);
        Assert.Equal("/caf\u00e9.txt", decomposed.Body["current"]!["path"]!.GetValue<string>());
        Assert.Equal(precomposed["rev"]!.GetValue<string>(), decomposed.Body["current"]!["rev"]!.GetValue<string>());
        Assert.Equal("nfc"u8.ToArray(), await alice.DownloadAsync("/caf\u00e9.txt"));
    }

    [Fact]
    public async Task A_file_cannot_be_used_as_a_folder_nor_a_folder_overwritten_by_a_file()
    {
        var alice = await factory.SignUpAsync();
        await alice.UploadOkAsync("/file.txt", "f"u8.ToArray());
        await alice.OkAsync("/files/create_folder", new { path = "/folder" });

        var under = await alice.UploadAsync("/file.txt/child.txt", "c"u8.ToArray());
        var over = await alice.UploadAsync("/folder", "c"u8.ToArray(), "overwrite");

        Assert.Equal((HttpStatusCode.Conflict, "path_conflict"), (under.Status, under.Body["error"]!.GetValue<string>()));
        Assert.Equal((HttpStatusCode.Conflict, "path_is_folder"), (over.Status, over.Body["error"]!.GetValue<string>()));
        Assert.Equal("f"u8.ToArray(), await alice.DownloadAsync("/file.txt"));
    }

    [Theory]
    [InlineData("/files/list_folder", "{not json")]
    [InlineData("/files/get_metadata", "[1,2,3]")]
    [InlineData("/files/move", "")]
    [InlineData("/auth/revoke_device", "{\"device_id\": 5}")]
    public async Task Malformed_or_missing_json_gets_a_400_with_a_code(string url, string json)
    {
        var alice = await factory.SignUpAsync();

        var (status, body) = await alice.PostRawAsync(url, json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_request", body["error"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(body["message"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("/files/list_folder", "{\"path\": 5}", "The JSON field \"path\" must be a string.")]
    [InlineData("/files/list_folder", "{\"path\": \"\", \"recursive\": \"yes\"}", "The JSON field \"recursive\" must be true or false.")]
    [InlineData("/sharing/create_link", "{\"path\": \"/a\", \"expires\": \"soon\"}", "The JSON field \"expires\" must be a date and time as a string")]
    [InlineData("/files/upload?uploadType=resumable", "{\"path\": \"/a\", \"size\": \"big\"}", "The JSON field \"size\" must be a whole number.")]
    [InlineData("/files/upload?uploadType=resumable", "{\"path\": \"/a\", \"size\": 1, \"blocks\": [{\"hash\": \"x\", \"size\": \"one\"}]}", "The JSON field \"blocks[0].size\" must be a whole number.")]
    [InlineData("/files/get_metadata", "[1,2,3]", "The JSON body must be a JSON object")]
    [InlineData("/files/list_folder", "{\"path\": ", "The JSON body is not valid JSON (line 1")]
    public async Task Json_errors_name_the_field_and_the_expected_type_but_no_server_types(string url, string json, string expected)
    {
        var alice = await factory.SignUpAsync();

        var (status, body) = await alice.PostRawAsync(url, json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_request", body["error"]!.GetValue<string>());
        var message = body["message"]!.GetValue<string>();
        Assert.StartsWith(expected, message, StringComparison.Ordinal);
        Assert.DoesNotContain("DropSync.", message, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", message, StringComparison.Ordinal);
        Assert.DoesNotContain("Request", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/files/upload?path=/a.txt", "invalid_upload_type")]
    [InlineData("/files/upload?uploadType=media&path=/a.txt&mode=replace", "invalid_mode")]
    [InlineData("/files/upload?uploadType=media", "malformed_path")]
    public async Task Bad_upload_parameters_are_refused(string url, string code)
    {
        var alice = await factory.SignUpAsync();

        var (status, body) = await alice.PostRawAsync(url, "content", "application/octet-stream");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(code, body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unknown_revs_and_paths_are_not_found()
    {
        var alice = await factory.SignUpAsync();
        await alice.UploadOkAsync("/a.txt", "a"u8.ToArray());

        var rev = await alice.PostAsync("/files/restore", new { path = "/a.txt", rev = Guid.NewGuid().ToString("N") });
        var downloadRev = await alice.PostAsync("/files/download", new { path = "/a.txt", rev = Guid.NewGuid().ToString("N") });
        var malformedRestore = await alice.PostAsync("/files/restore", new { path = "/a.txt", rev = "0123456789abcdef" });
        var malformedDownload = await alice.PostAsync("/files/download", new { path = "/a.txt", rev = "R" });
        var path = await alice.PostAsync("/files/download", new { path = "/missing.txt" });
        var revisions = await alice.PostAsync("/files/list_revisions", new { path = "/missing.txt", limit = 5 });

        Assert.Equal((HttpStatusCode.NotFound, "rev_not_found"), (rev.Status, rev.Body["error"]!.GetValue<string>()));
        Assert.Equal((HttpStatusCode.NotFound, "rev_not_found"), (downloadRev.Status, downloadRev.Body["error"]!.GetValue<string>()));
        Assert.Equal((HttpStatusCode.BadRequest, "invalid_rev"), (malformedRestore.Status, malformedRestore.Body["error"]!.GetValue<string>()));
        Assert.Equal((HttpStatusCode.BadRequest, "invalid_rev"), (malformedDownload.Status, malformedDownload.Body["error"]!.GetValue<string>()));
        Assert.Equal((HttpStatusCode.NotFound, "not_found"), (path.Status, path.Body["error"]!.GetValue<string>()));
        Assert.Equal((HttpStatusCode.NotFound, "not_found"), (revisions.Status, revisions.Body["error"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Unknown_endpoints_answer_json()
    {
        var alice = await factory.SignUpAsync();

        var (status, body) = await alice.PostAsync("/files/teleport", new { });

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("not_found", body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_openapi_document_describes_the_file_endpoints()
    {
        using var anonymous = factory.CreateClient();

        var document = System.Text.Json.Nodes.JsonNode.Parse(await anonymous.GetStringAsync("/openapi/v1.json"))!;

        var paths = document["paths"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Contains("/files/upload", paths);
        Assert.Contains("/files/download", paths);
        Assert.Contains("/auth/login", paths);
    }

    [Fact]
    public async Task The_openapi_document_describes_error_answers_and_the_values_of_mode_and_upload_type()
    {
        using var anonymous = factory.CreateClient();

        var document = System.Text.Json.Nodes.JsonNode.Parse(await anonymous.GetStringAsync("/openapi/v1.json"))!;

        var error = document["components"]!["schemas"]!["Error"]!;
        Assert.Equal(["error", "message"], error["required"]!.AsArray().Select(r => r!.GetValue<string>()).Order());
        var upload = document["paths"]!["/files/upload"]!["post"]!;
        foreach (var status in new[] { "400", "401", "404", "409", "413", "500" })
        {
            Assert.Equal("#/components/schemas/Error", upload["responses"]![status]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
        }

        string[] Values(string name) => upload["parameters"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == name)!["schema"]!["enum"]!
            .AsArray().Select(v => v!.GetValue<string>()).ToArray();
        Assert.Equal(["add", "overwrite", "update"], Values("mode"));
        Assert.Equal(["media", "resumable"], Values("uploadType"));
        var link = document["paths"]!["/s/{token}"]!["get"]!["responses"]!.AsObject();
        Assert.Contains("410", link.Select(r => r.Key));
        Assert.Contains("401", link.Select(r => r.Key));
        Assert.Null(document["paths"]!["/auth/login"]!["post"]!["responses"]!["403"]);
    }
}
