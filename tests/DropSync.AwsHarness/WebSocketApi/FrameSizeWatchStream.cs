using System.Buffers.Binary;

namespace DropSync.AwsHarness.WebSocketApi;

/// <summary>
/// The upgraded connection's stream, read through: follows the RFC 6455 frame headers the client sends so a data frame
/// larger than API Gateway's 32 KB frame size is seen (System.Net.WebSockets hands messages over in chunks and never
/// says where a frame ends). "If a larger message (or larger frame size) is received, the connection is closed with
/// code 1009" (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html).
/// It also tells a close frame without a status code apart. It is made before the upgrade's stream exists, so the
/// connection can be registered before the 101 reaches the client; reads and writes wait for the upgrade.
/// </summary>
internal sealed class FrameSizeWatchStream(Task<Stream> upgraded, int maxFrameBytes) : Stream
{
    private readonly byte[] _header = new byte[14];
    private int _headerLength;
    private long _payloadRemaining;
    private volatile bool _oversizedFrameSeen;
    private volatile bool _closeFrameWithoutStatus;

    /// <summary>True once a data or continuation frame declared a payload over the frame size limit.</summary>
    public bool OversizedFrameSeen => _oversizedFrameSeen;

    /// <summary>
    /// True when the client's close frame had no payload: System.Net.WebSockets reports that as 1000, API Gateway as
    /// 1005 ("if the client sends a close frame without a closure code").
    /// </summary>
    public bool CloseFrameWithoutStatus => _closeFrameWithoutStatus;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var inner = await upgraded.ConfigureAwait(false);
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Inspect(buffer.Span[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = Inner.Read(buffer, offset, count);
        Inspect(buffer.AsSpan(offset, read));
        return read;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        await (await upgraded.ConfigureAwait(false)).WriteAsync(buffer, cancellationToken).ConfigureAwait(false);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => Inner.Write(buffer, offset, count);

    public override async Task FlushAsync(CancellationToken cancellationToken) =>
        await (await upgraded.ConfigureAwait(false)).FlushAsync(cancellationToken).ConfigureAwait(false);

    public override void Flush() => Inner.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    // The synchronous members are there for completeness; System.Net.WebSockets only calls the asynchronous ones.
    private Stream Inner => upgraded.GetAwaiter().GetResult();

    protected override void Dispose(bool disposing)
    {
        if (disposing && upgraded.IsCompletedSuccessfully)
        {
            upgraded.Result.Dispose();
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => upgraded.IsCompletedSuccessfully ? upgraded.Result.DisposeAsync() : ValueTask.CompletedTask;

    private void Inspect(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            if (_payloadRemaining > 0)
            {
                var skipped = (int)Math.Min(_payloadRemaining, data.Length);
                _payloadRemaining -= skipped;
                data = data[skipped..];
                continue;
            }

            _header[_headerLength++] = data[0];
            data = data[1..];
            if (_headerLength < 2 || _headerLength < HeaderSize(_header[1]))
            {
                continue;
            }

            var payload = PayloadLength(_header);
            var opcode = _header[0] & 0x0F;
            if (opcode < 0x8 && payload > maxFrameBytes)
            {
                _oversizedFrameSeen = true;
            }
            else if (opcode == 0x8)
            {
                _closeFrameWithoutStatus = payload == 0;
            }

            _payloadRemaining = payload;
            _headerLength = 0;
        }
    }

    // RFC 6455 section 5.2: 2 bytes, then 2 or 8 bytes of extended length, then the 4-byte mask key clients always send.
    private static int HeaderSize(byte second) =>
        2 + ((second & 0x80) != 0 ? 4 : 0) + (second & 0x7F) switch { 126 => 2, 127 => 8, _ => 0 };

    private static long PayloadLength(byte[] header) => (header[1] & 0x7F) switch
    {
        126 => BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(2)),
        127 => (long)Math.Min(BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(2)), long.MaxValue),
        var length => length,
    };
}
