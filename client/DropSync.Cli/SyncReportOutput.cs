using System.Text.Json;
using DropSync.Client.Api;
using DropSync.Client.Sync;
using Spectre.Console;

namespace DropSync.Cli;

/// <summary>A sync's report as a line of counts (with its conflicts and failures) or as JSON.</summary>
internal static class SyncReportOutput
{
    public static void Write(CliContext cli, SyncReport report, bool json, string prefix)
    {
        if (json)
        {
            cli.WriteJson(Json(report));
        }
        else
        {
            Print(cli.Console, report, prefix);
        }
    }

    private static SyncReportJson Json(SyncReport r) => new(
        r.FilesUploaded, r.BytesUploaded, r.FilesDownloaded, r.BytesDownloaded, r.BytesReusedLocally,
        r.DeletedLocal, r.DeletedRemote, r.Moved, r.FoldersCreated, r.FoldersDeleted, r.Conflicts, r.Errors,
        r.PhaseMilliseconds.ToDictionary(p => p.Key, p => Math.Round(p.Value, 1), StringComparer.Ordinal));

    private static void Print(IAnsiConsole console, SyncReport r, string prefix)
    {
        console.MarkupLine(Markup.Escape(
            $"{prefix}up: {r.FilesUploaded} files ({CliText.Bytes(r.BytesUploaded)} sent) · down: {r.FilesDownloaded} files ({CliText.Bytes(r.BytesDownloaded)} received, {CliText.Bytes(r.BytesReusedLocally)} reused) · " +
            $"deleted: {r.DeletedRemote} on server, {r.DeletedLocal} here · moved: {r.Moved}"));
        foreach (var c in r.Conflicts)
        {
            console.MarkupLine($"[yellow]conflict:[/] {Markup.Escape(c)}");
        }

        foreach (var e in r.Errors)
        {
            console.MarkupLine($"[red]failed:[/] {Markup.Escape(e)} Run the sync again to retry.");
        }
    }
}
