using System.Globalization;
using System.Text.Json;

namespace DropSync.Aws.Hosting;

/// <summary>
/// Reads a secret through AWS's Parameters and Secrets Lambda extension: a local HTTP endpoint the extension layer
/// serves inside the function (<c>GET localhost:2773/secretsmanager/get?secretId=…</c>, authorised by the function's
/// session token). Used for the master key because AWSSDK.SecretsManager cannot be had here; the extension needs no
/// SDK and no signing. Hand-written: it is one GET.
/// </summary>
public static class LambdaSecretsExtension
{
    /// <summary>The extension's port setting, as AWS names it.</summary>
    public const string PortVariable = "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT";

    public const int DefaultPort = 2773;

    public static async Task<string> GetSecretStringAsync(string secretId, int port, string sessionToken, HttpClient http, CancellationToken ct)
    {
        var url = string.Create(CultureInfo.InvariantCulture, $"http://localhost:{port}/secretsmanager/get?secretId={Uri.EscapeDataString(secretId)}");
        Exception? last = null;

        // The extension starts beside the function and may not answer for the first few hundred milliseconds.
        for (var attempt = 0; attempt < 20; attempt++)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                request.Headers.Add("X-Aws-Parameters-Secrets-Token", sessionToken);
                using var response = await http.SendAsync(request, ct);
                var body = await response.Content.ReadAsStringAsync(ct);
                if (response.IsSuccessStatusCode)
                {
                    using var json = JsonDocument.Parse(body);
                    return json.RootElement.GetProperty("SecretString").GetString()
                        ?? throw new InvalidOperationException($"Secret {secretId} has no SecretString.");
                }

                last = new InvalidOperationException($"The secrets extension answered {(int)response.StatusCode} for {secretId}.");
            }
            catch (HttpRequestException e)
            {
                last = e;
            }

            await Task.Delay(100, ct);
        }

        throw new InvalidOperationException(
            $"Could not read the master key secret {secretId} through the Parameters and Secrets extension on port {port}; "
            + "check that the function has the extension layer and secretsmanager:GetSecretValue on the secret.", last);
    }
}
