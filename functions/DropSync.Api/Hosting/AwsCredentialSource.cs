using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using Amazon.Runtime.Credentials;

namespace DropSync.Api.Hosting;

/// <summary>
/// The credentials AWS mode signs with. Always the default credential chain's sources, so that in Lambda (and in a
/// local harness that gives each function its own keys) the function's own identity signs every call, endpoint
/// overrides or not. With an endpoint override (local servers) only the sources that need no network are tried —
/// the environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, as Lambda sets them) and
/// the shared profile — never the container or EC2 instance-metadata endpoints, which would send traffic off the
/// machine and can block for up to 35 s; when none has credentials, the fixed "local" ones, which local servers accept.
/// </summary>
internal static class AwsCredentialSource
{
    public const string LocalKey = "local";

    public static AWSCredentials Resolve(IConfiguration config, bool endpointOverride)
    {
        if (!endpointOverride)
        {
            return DefaultAWSCredentialsIdentityResolver.GetCredentials();
        }

        return FromEnvironment(config) ?? FromProfile(config) ?? new BasicAWSCredentials(LocalKey, LocalKey);
    }

    /// <summary>The first source of the default chain; read through configuration so a test host can set them too.</summary>
    private static AWSCredentials? FromEnvironment(IConfiguration config)
    {
        var accessKey = config["AWS_ACCESS_KEY_ID"];
        var secretKey = config["AWS_SECRET_ACCESS_KEY"];
        if (string.IsNullOrEmpty(accessKey) || string.IsNullOrEmpty(secretKey))
        {
            return null;
        }

        var token = config["AWS_SESSION_TOKEN"];
        return string.IsNullOrEmpty(token) ? new BasicAWSCredentials(accessKey, secretKey) : new SessionAWSCredentials(accessKey, secretKey, token);
    }

    private static AWSCredentials? FromProfile(IConfiguration config)
    {
        var profile = config["AWS_PROFILE"] is { Length: > 0 } name ? name : "default";
        return new CredentialProfileStoreChain().TryGetAWSCredentials(profile, out var credentials) ? credentials : null;
    }
}
