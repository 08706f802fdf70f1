using System.Buffers;
using System.Net;
using System.Net.Http.Headers;

namespace DropSync.Benchmarks;

/// <summary>
/// A request body of <c>length</c> pseudo-random bytes produced while it is sent, 1 MiB at a time: the file is never in
/// memory and never on the client's disk. Its length is known, so the request has a Content-Length (no chunking).
/// </summary>
internal sealed class GeneratedContent : HttpContent
{
    private const int ChunkSize = 1024 * 1024;

    private readonly ulong _seed;
    private readonly long _length;
    private readonly TransferProgress _progress;

    public GeneratedContent(ulong seed, long length, TransferProgress progress)
    {
        _seed = seed;
        _length = length;
        _progress = progress;
        Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            var blocks = PseudoRandomBlock.BlockCount(_length);
            for (var index = 0; index < blocks; index++)
            {
                var generator = new PseudoRandomBlock(_seed, index);
                var blockLength = PseudoRandomBlock.LengthOf(_length, index);
                for (var done = 0; done < blockLength;)
                {
                    var n = Math.Min(ChunkSize, blockLength - done);
                    generator.Fill(buffer.AsSpan(0, n));
                    await stream.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                    done += n;
                    _progress.Add(n);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = _length;
        return true;
    }
}
