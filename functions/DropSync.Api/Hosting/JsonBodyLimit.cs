using DropSync.Core.Errors;
using DropSync.Core.Files;
using Microsoft.AspNetCore.Http.Metadata;

namespace DropSync.Api.Hosting;

/// <summary>
/// Every endpoint that takes a JSON body reads at most <see cref="DropSyncOptions.MaxJsonBodyBytes"/> of it: a declared
/// Content-Length past the bound is refused before a byte is read, and a chunked body is cut off the moment it passes
/// the bound (the reader throws; nothing past the bound is buffered). Both answer 413 payload_too_large.
/// </summary>
internal static class JsonBodyLimit
{
    public static IApplicationBuilder UseJsonBodyLimit(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (!TakesJson(context))
        {
            await next(context);
            return;
        }

        var max = context.RequestServices.GetRequiredService<DropSyncOptions>().MaxJsonBodyBytes;
        if (context.Request.ContentLength > max)
        {
            await TooLargeAsync(context, max);
            return;
        }

        var bounded = new BoundedReadStream(context.Request.Body, max);
        context.Request.Body = bounded;
        await next(context);

        // Minimal APIs treat a failed body read as an I/O error and answer nothing; the bound answers instead.
        if (bounded.Exceeded && !context.Response.HasStarted)
        {
            context.Response.Clear();
            await TooLargeAsync(context, max);
        }
    });

    private static bool TakesJson(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>() is { RequestType: not null } accepts
        && accepts.ContentTypes.Any(t => t.Contains("json", StringComparison.OrdinalIgnoreCase));

    private static Task TooLargeAsync(HttpContext context, long max) =>
        ErrorResponses.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge, $"A JSON request body is at most {max} bytes here.");
}

/// <summary>A request body that throws 413 (as Kestrel's own bound does) once more than <c>max</c> bytes were read.</summary>
internal sealed class BoundedReadStream(Stream inner, long max) : Stream
{
    private long _read;

    public bool Exceeded { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => _read; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, Math.Min(count, Room)));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer[..Math.Min(buffer.Length, Room)], cancellationToken));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <summary>One byte past the bound is asked for, so a body of exactly <c>max</c> bytes is told apart from a longer one.</summary>
    private int Room => (int)Math.Min(int.MaxValue, Math.Max(1, max + 1 - _read));

    private int Count(int n)
    {
        _read += n;
        if (_read > max)
        {
            Exceeded = true;
            throw new BadHttpRequestException($"The request body is larger than {max} bytes.", StatusCodes.Status413PayloadTooLarge);
        }

        return n;
    }
}
