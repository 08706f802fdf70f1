using System.Net;
using DropSync.Api.Tests.Infrastructure;

namespace DropSync.Api.Tests;

/// <summary>/files/upload/abort: an upload the client gives up stops holding a place under the cap on open uploads.</summary>
public sealed class ResumableUploadAbortTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    [Fact]
    public async Task An_aborted_upload_frees_its_place_under_the_cap_and_cannot_be_finished_resumed_or_extended()
    {
        using var server = DropSyncApiFactory.WithSettings(("DropSync:MaxUploadSessionsPerUser", "2"));
        var alice = await server.SignUpAsync();
        var blocks = ResumableUpload.Split("hello"u8.ToArray(), 5);
        var first = (await ResumableUpload.BeginAsync(alice, ResumableUpload.Declare("/a.txt", blocks)))["upload_id"]!.GetValue<string>();
        await ResumableUpload.BeginAsync(alice, ResumableUpload.Declare("/b.txt", blocks));
        var (full, _) = await alice.PostAsync("/files/upload?uploadType=resumable", ResumableUpload.Declare("/c.txt", blocks));
        Assert.Equal(HttpStatusCode.Conflict, full);

        var aborted = await alice.OkAsync("/files/upload/abort", new { upload_id = first });
        var again = await alice.OkAsync("/files/upload/abort", new { upload_id = first });

        Assert.Equal(first, aborted["upload_id"]!.GetValue<string>());
        Assert.Equal("aborted", aborted["status"]!.GetValue<string>());
        Assert.Equal("aborted", again["status"]!.GetValue<string>());
        await ResumableUpload.BeginAsync(alice, ResumableUpload.Declare("/c.txt", blocks));
        var (finish, finishBody) = await alice.PostAsync("/files/upload/finish", new { upload_id = first });
        var (resume, resumeBody) = await alice.PostAsync($"/files/upload?uploadType=resumable&upload_id={first}", null);
        var (extend, extendBody) = await alice.PostAsync("/files/upload/blocks", new { upload_id = first, index = 1, blocks = Array.Empty<object>() });
        foreach (var (status, body) in new[] { (finish, finishBody), (resume, resumeBody), (extend, extendBody) })
        {
            Assert.Equal(HttpStatusCode.Gone, status);
            Assert.Equal("upload_aborted", body["error"]!.GetValue<string>());
        }

        var (list, listBody) = await alice.PostAsync("/files/list_folder", new { path = "" });
        Assert.Equal(HttpStatusCode.OK, list);
        Assert.DoesNotContain(listBody["entries"]!.AsArray(), e => e!["name"]!.GetValue<string>() == "a.txt");
    }

    [Fact]
    public async Task Another_users_upload_is_refused_as_an_unknown_one_and_a_finished_upload_is_left_committed()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        using var anonymous = factory.CreateClient();
        var blocks = ResumableUpload.Split("committed bytes"u8.ToArray(), 15);
        var state = await ResumableUpload.BeginAsync(alice, ResumableUpload.Declare("/done.txt", blocks));
        var uploadId = state["upload_id"]!.GetValue<string>();

        var (bobs, bobsBody) = await bob.PostAsync("/files/upload/abort", new { upload_id = uploadId });
        var (unknown, unknownBody) = await bob.PostAsync("/files/upload/abort", new { upload_id = "up_nosuchupload0000" });
        var (missing, missingBody) = await alice.PostAsync("/files/upload/abort", new { });

        Assert.Equal(HttpStatusCode.NotFound, bobs);
        Assert.Equal(unknownBody["error"]!.GetValue<string>(), bobsBody["error"]!.GetValue<string>());
        Assert.Equal(unknownBody["message"]!.GetValue<string>(), bobsBody["message"]!.GetValue<string>());
        Assert.Equal("upload_not_found", bobsBody["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, unknown);
        Assert.Equal(HttpStatusCode.BadRequest, missing);
        Assert.Equal("missing_upload_id", missingBody["error"]!.GetValue<string>());

        // Bob's attempt changed nothing: Alice finishes it, and an abort after that leaves the file committed.
        await ResumableUpload.SendMissingAsync(anonymous, state, blocks);
        await alice.OkAsync("/files/upload/finish", new { upload_id = uploadId });
        var late = await alice.OkAsync("/files/upload/abort", new { upload_id = uploadId });
        Assert.Equal("committed", late["status"]!.GetValue<string>());
        Assert.Equal("committed bytes"u8.ToArray(), await alice.DownloadAsync("/done.txt"));
        await alice.OkAsync("/files/upload/finish", new { upload_id = uploadId });
    }
}
