using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace DropSync.Api.Tests.Infrastructure;

/// <summary>
/// A logger provider that keeps each message (formatted) of <paramref name="category"/>, or of every category when it
/// is null; the host's filter rules decide what reaches it, as they would for the console.
/// </summary>
public sealed class LogLines(ConcurrentQueue<string> lines, string? category = null) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(category is null || categoryName == category ? lines : null);

    public void Dispose()
    {
    }

    private sealed class Logger(ConcurrentQueue<string>? lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => lines is not null;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines?.Enqueue(formatter(state, exception));
    }
}
