using System.Net;
using System.Net.Http.Headers;
using System.Text;
using DropSync.Api.Tests.Infrastructure;
using static DropSync.Api.Tests.Infrastructure.Sharing;

namespace DropSync.Api.Tests;

/// <summary>The requests <see cref="ApiFuzzTests"/> found answered with a 5xx, each now answered as bad input.</summary>
public sealed class FuzzFoundBugsTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    [Fact]
    public async Task A_null_file_in_a_batch_manifest_is_invalid_manifest_not_a_500()
    {
        var mallory = await factory.SignUpAsync();
        using var body = new MultipartFormDataContent();
        body.Add(new StringContent("""{"files":[{"path":"/a.txt"},null]}""", Encoding.UTF8, "application/json"), "manifest");
        var part = new ByteArrayContent(Bytes("a"));
        part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        body.Add(part, "file", "f0");

        using var response = await mallory.Http.PostAsync("/files/upload_batch", body);

        Status(HttpStatusCode.BadRequest, (response.StatusCode, await ApiClient.ReadJsonAsync(response)), "invalid_manifest");
        Assert.Empty(await TreeAsync(mallory));
    }

    [Fact]
    public async Task A_batch_body_that_ends_before_its_closing_boundary_is_invalid_request_not_a_500()
    {
        var mallory = await factory.SignUpAsync();
        var text = "--b0undary\r\nContent-Disposition: form-data; name=\"manifest\"\r\n\r\n{\"files\":[{\"path\":\"/a.txt\"}]}\r\n"
            + "--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\nabc";
        using var body = new ByteArrayContent(Bytes(text));
        body.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=b0undary");

        using var response = await mallory.Http.PostAsync("/files/upload_batch", body);

        Status(HttpStatusCode.BadRequest, (response.StatusCode, await ApiClient.ReadJsonAsync(response)), "invalid_request");
        Assert.Empty(await TreeAsync(mallory));
    }
}
