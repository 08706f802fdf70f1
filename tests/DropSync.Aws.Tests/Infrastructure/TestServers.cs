using System.Net.Sockets;
using System.Text;

namespace DropSync.Aws.Tests.Infrastructure;

/// <summary>
/// Where the AWS-compatible test servers come from. In order: endpoints given in the environment
/// (<c>DROPSYNC_TEST_DYNAMODB_ENDPOINT</c>, <c>DROPSYNC_TEST_S3_ENDPOINT</c>), a real account (<c>DROPSYNC_TEST_AWS=real</c>,
/// default credentials and region), LocalStack in Docker when a Docker engine answers, otherwise DynamoDB Local and fauxqs
/// started here as child processes on free 127.0.0.1 ports (installed by scripts/aws-test-servers.sh).
/// <c>DROPSYNC_TEST_AWS_SERVERS=local|localstack</c> forces a choice.
/// </summary>
internal static class TestServers
{
    public static bool UseRealAccount => string.Equals(Environment.GetEnvironmentVariable("DROPSYNC_TEST_AWS"), "real", StringComparison.OrdinalIgnoreCase);

    public static async Task<bool> UseLocalStackAsync()
    {
        var forced = Environment.GetEnvironmentVariable("DROPSYNC_TEST_AWS_SERVERS");
        if (string.Equals(forced, "local", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return string.Equals(forced, "localstack", StringComparison.OrdinalIgnoreCase) || await DockerAnswersAsync().ConfigureAwait(false);
    }

    private static async Task<bool> DockerAnswersAsync()
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            if (host is not null && host.StartsWith("tcp://", StringComparison.OrdinalIgnoreCase))
            {
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
                var response = await http.GetStringAsync(new Uri(new Uri("http://" + host["tcp://".Length..]), "/_ping"), timeout.Token).ConfigureAwait(false);
                return response.Trim() == "OK";
            }

            var socketPath = host is not null && host.StartsWith("unix://", StringComparison.OrdinalIgnoreCase) ? host["unix://".Length..] : "/var/run/docker.sock";
            if (!File.Exists(socketPath))
            {
                return false;
            }

            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), timeout.Token).ConfigureAwait(false);
            await socket.SendAsync(Encoding.ASCII.GetBytes("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"), timeout.Token).ConfigureAwait(false);
            var buffer = new byte[4096];
            var answer = new StringBuilder();
            int read;
            while ((read = await socket.ReceiveAsync(buffer, timeout.Token).ConfigureAwait(false)) > 0)
            {
                answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }

            return answer.ToString().StartsWith("HTTP/1.", StringComparison.Ordinal) && answer.ToString().Contains(" 200 ", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException or HttpRequestException or OperationCanceledException or UriFormatException)
        {
            return false;
        }
    }
}
