using System.Net;
using System.Text;
using DropSync.Aws.Hosting;
using DropSync.Testing;

namespace DropSync.Aws.Tests;

/// <summary>The master key is read through the Parameters and Secrets extension's local endpoint, here a real loopback listener.</summary>
public sealed class LambdaSecretsExtensionTests
{
    [Fact]
    public async Task Reads_the_secret_string_with_the_session_token()
    {
        var port = LocalPorts.Free();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://localhost:{port}/");
        listener.Start();
        string? seenToken = null, seenSecretId = null;
        var serve = Task.Run(async () =>
        {
            var context = await listener.GetContextAsync();
            seenToken = context.Request.Headers["X-Aws-Parameters-Secrets-Token"];
            seenSecretId = context.Request.QueryString["secretId"];
            var body = Encoding.UTF8.GetBytes("{\"ARN\":\"arn:aws:secretsmanager:us-east-1:1:secret:k\",\"SecretString\":\"00112233\"}");
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        });
        using var http = new HttpClient();

        var secret = await LambdaSecretsExtension.GetSecretStringAsync("arn:aws:secretsmanager:us-east-1:1:secret:k", port, "session-token", http, CancellationToken.None);
        await serve;

        Assert.Equal("00112233", secret);
        Assert.Equal("session-token", seenToken);
        Assert.Equal("arn:aws:secretsmanager:us-east-1:1:secret:k", seenSecretId);
    }

    [Fact]
    public async Task A_refusing_extension_gives_an_error_that_says_what_to_check()
    {
        var port = LocalPorts.Free();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://localhost:{port}/");
        listener.Start();
        using var stop = new CancellationTokenSource();
        var serve = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var context = await listener.GetContextAsync();
                context.Response.StatusCode = 403;
                context.Response.Close();
            }
        });
        using var http = new HttpClient();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            LambdaSecretsExtension.GetSecretStringAsync("arn:secret", port, "t", http, CancellationToken.None));
        await stop.CancelAsync();

        Assert.Contains("GetSecretValue", error.Message, StringComparison.Ordinal);
    }
}
