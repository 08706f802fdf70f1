using DropSync.AwsHarness.Lambda;
using DropSync.Testing;

namespace DropSync.AwsHarness.Tests;

/// <summary>
/// A tiny web app (node) packaged like a Lambda asset (a <c>bootstrap</c> that starts it), to test the adapter and API
/// Gateway emulations' rules on their own: /healthz, /events (answers the status the event asks for, may sleep or
/// crash), /echo (echoes the request, sets two cookies), /binary (non-text bytes), /slow (answers after 8 s), /crash.
/// </summary>
public sealed class StubApp : IDisposable
{
    private const string Script = """
        const http = require('http');
        const port = Number(process.env.AWS_LWA_PORT || process.env.PORT || 8080);
        http.createServer((req, res) => {
          const chunks = [];
          req.on('data', c => chunks.push(c));
          req.on('end', () => {
            const body = Buffer.concat(chunks);
            if (req.url === '/healthz') { res.writeHead(200); return res.end('ok'); }
            if (req.url === '/events') {
              const evt = JSON.parse(body.toString() || '{}');
              if (evt.crash) process.exit(3);
              const reply = () => {
                res.writeHead(evt.status || 200, { 'content-type': 'application/json' });
                res.end(JSON.stringify({ echo: evt, lambdaContext: JSON.parse(req.headers['x-amzn-lambda-context'] || 'null') }));
              };
              return evt.sleepMs ? setTimeout(reply, evt.sleepMs) : reply();
            }
            if (req.url.startsWith('/echo')) {
              res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; HttpOnly']);
              res.writeHead(201, { 'content-type': 'application/json', 'x-custom': 'yes' });
              return res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: body.toString('base64') }));
            }
            if (req.url === '/slow') { return setTimeout(() => { res.writeHead(200); res.end('late'); }, 8000); }
            if (req.url === '/crash') process.exit(4);
            if (req.url === '/binary') {
              res.writeHead(200, { 'content-type': 'application/octet-stream' });
              return res.end(Buffer.from([0, 255, 1, 254, 128]));
            }
            res.writeHead(404); res.end();
          });
        }).listen(port, '127.0.0.1');
        """;

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("dropsync-stub-app-");

    public StubApp()
    {
        File.WriteAllText(Path.Combine(_folder.FullName, "app.js"), Script);
        var bootstrap = Path.Combine(_folder.FullName, "bootstrap");
        File.WriteAllText(bootstrap, "#!/bin/sh\ncd \"$(dirname \"$0\")\"\nexec node app.js\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(bootstrap, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>A function running the stub behind the adapter emulation, with the given adapter settings.</summary>
    public WebAdapterFunction Function(TimeSpan timeout, IReadOnlyDictionary<string, string>? adapterSettings = null)
    {
        var port = LocalPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = "/usr/local/bin:/usr/bin/:/bin",
            ["PORT"] = port,
            ["AWS_LWA_PORT"] = port,
            ["AWS_LWA_READINESS_CHECK_PATH"] = "/healthz",
            ["AWS_LWA_PASS_THROUGH_PATH"] = "/events",
        };
        foreach (var (key, value) in adapterSettings ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        return new WebAdapterFunction(
            "stub", "arn:aws:lambda:us-east-1:000000000000:function:stub", new FunctionProcess("stub", _folder.FullName, environment), environment, timeout, 128);
    }

    public void Dispose() => _folder.Delete(recursive: true);
}
