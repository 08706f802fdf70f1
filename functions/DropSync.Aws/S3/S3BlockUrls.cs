using Amazon.S3;
using Amazon.S3.Model;
using DropSync.Core.Content;
using DropSync.Core.Ports;

namespace DropSync.Aws.S3;

/// <summary>
/// Presigned S3 URLs for one block each. An upload URL is a presigned PUT of the block's key whose signature covers
/// <c>x-amz-checksum-sha256</c> (and the SSE-KMS headers): the client must send exactly the returned headers, and S3
/// refuses bytes whose SHA-256 is not the block's name (400 BadDigest; "Checking object integrity in Amazon S3",
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html — a presigned URL may carry the
/// checksum header, which the signature then binds). It also signs <c>If-None-Match: *</c>, a conditional write: an
/// object already at the key is never overwritten, S3 answers 412 Precondition Failed instead, which for a block named
/// by its content means "already there" ("Add preconditions to S3 operations with conditional requests",
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html). Block names are SHA-256 of the exact
/// bytes PUT (AWS mode stores blocks as sent, encrypted at rest by SSE-KMS), so the checksum is the proof of content.
/// A download URL is a presigned GET of the key.
/// </summary>
public sealed class S3BlockUrls : IBlockTransferUrls
{
    /// <summary>SigV4 presigned URLs live at most 7 days.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(7);

    private readonly IAmazonS3 _s3;
    private readonly S3BlockStoreOptions _options;
    private readonly TimeProvider _time;

    public S3BlockUrls(IAmazonS3 s3, S3BlockStoreOptions options, TimeProvider? time = null)
    {
        _s3 = s3 ?? throw new ArgumentNullException(nameof(s3));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _time = time ?? TimeProvider.System;
    }

    public BlockTransferUrl UploadUrl(string userId, BlockRef block, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(block);
        var expires = Expiry(lifetime);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["x-amz-checksum-sha256"] = Convert.ToBase64String(block.Hash.ToBytes()),
        };
        var request = new GetPreSignedUrlRequest
        {
            BucketName = _options.BucketName,
            Key = _options.KeyPrefix + block.Hash.Hex,
            Verb = HttpVerb.PUT,
            Expires = expires.UtcDateTime,
            ContentType = "application/octet-stream",
            Protocol = Scheme,
        };
        headers["Content-Type"] = "application/octet-stream";
        if (_options.KmsKeyId is not null)
        {
            request.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS;
            request.ServerSideEncryptionKeyManagementServiceKeyId = _options.KmsKeyId;
            headers["x-amz-server-side-encryption"] = "aws:kms";
            headers["x-amz-server-side-encryption-aws-kms-key-id"] = _options.KmsKeyId;
        }

        headers["If-None-Match"] = "*";
        request.Headers["x-amz-checksum-sha256"] = headers["x-amz-checksum-sha256"];
        request.Headers["If-None-Match"] = "*";
        return new BlockTransferUrl(_s3.GetPreSignedURL(request), headers, expires);
    }

    public BlockTransferUrl DownloadUrl(string userId, BlockHash hash, TimeSpan lifetime)
    {
        var expires = Expiry(lifetime);
        var url = _s3.GetPreSignedURL(new GetPreSignedUrlRequest
        {
            BucketName = _options.BucketName,
            Key = _options.KeyPrefix + hash.Hex,
            Verb = HttpVerb.GET,
            Expires = expires.UtcDateTime,
            Protocol = Scheme,
        });
        return new BlockTransferUrl(url, new Dictionary<string, string>(), expires);
    }

    /// <summary>HTTPS, unless the client is pointed at a plain-HTTP endpoint (a local test server).</summary>
    private Protocol Scheme =>
        _s3.Config.ServiceURL is { } url && url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? Protocol.HTTP : Protocol.HTTPS;

    private DateTimeOffset Expiry(TimeSpan lifetime)
    {
        if (lifetime <= TimeSpan.Zero || lifetime > MaxLifetime)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), lifetime, "A presigned URL lives more than 0 and at most 7 days.");
        }

        // Whole seconds, as X-Amz-Expires counts them.
        var now = _time.GetUtcNow();
        return DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds() + (long)Math.Ceiling(lifetime.TotalSeconds));
    }
}
