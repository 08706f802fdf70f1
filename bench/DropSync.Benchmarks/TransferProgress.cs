using System.Diagnostics;
using System.Globalization;

namespace DropSync.Benchmarks;

/// <summary>Counts bytes moved by a step and reports them on stderr about once a second, so long steps show life.</summary>
internal sealed class TransferProgress : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly string _step;
    private readonly long _total;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reporter;
    private long _done;

    public TransferProgress(string step, long total)
    {
        _step = step;
        _total = total;
        _reporter = ReportAsync();
    }

    public long Done => Interlocked.Read(ref _done);

    public void Add(long bytes) => Interlocked.Add(ref _done, bytes);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reporter;
        _stop.Dispose();
    }

    private async Task ReportAsync()
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                var done = Done;
                var seconds = _clock.Elapsed.TotalSeconds;
                Console.Error.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"  {_step}: {done / (double)ByteSize.MiB,9:0.0} / {_total / (double)ByteSize.MiB:0.0} MiB ({100.0 * done / Math.Max(1, _total):0}%), {done / (double)ByteSize.MiB / seconds:0.0} MiB/s"));
            }
        }
        catch (OperationCanceledException)
        {
            // The step ended.
        }
    }
}
