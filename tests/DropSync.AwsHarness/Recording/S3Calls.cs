using System.Xml.Linq;

namespace DropSync.AwsHarness.Recording;

/// <summary>
/// The IAM authorizations of one S3 REST request, path-style (<c>/{bucket}/{key}?{subresource}</c>), as the S3 actions
/// reference maps operations to actions: HeadObject is s3:GetObject, CopyObject is s3:GetObject on the source and
/// s3:PutObject on the destination, ListObjectsV2 is s3:ListBucket on the bucket, the multipart operations are
/// s3:PutObject (create, part, complete), s3:AbortMultipartUpload and s3:ListMultipartUploadParts, DeleteObjects is
/// s3:DeleteObject per key. https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html
/// On an SSE-KMS bucket S3 calls KMS with the caller's permissions: writes need kms:GenerateDataKey, reads (and the
/// source of a copy) kms:Decrypt. https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
/// </summary>
public static class S3Calls
{
    /// <summary>The bucket and key a path-style target (<c>/{bucket}/{key}?{query}</c>) names, unescaped; the key is "" for a bucket.</summary>
    public static (string Bucket, string Key) BucketAndKey(string rawPath)
    {
        ArgumentNullException.ThrowIfNull(rawPath);
        var path = rawPath.Split('?', 2)[0].TrimStart('/');
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        return slash < 0
            ? (Uri.UnescapeDataString(path), "")
            : (Uri.UnescapeDataString(path[..slash]), Uri.UnescapeDataString(path[(slash + 1)..]));
    }

    public static IEnumerable<(string Action, string Resource)> Classify(
        string method, string rawPath, IReadOnlyCollection<string> queryKeys, string? copySource, string? body, ResourceArns arns)
    {
        ArgumentNullException.ThrowIfNull(arns);
        ArgumentNullException.ThrowIfNull(queryKeys);
        var (bucket, key) = BucketAndKey(rawPath);
        bool Has(string name) => queryKeys.Contains(name, StringComparer.Ordinal);
        var bucketKey = arns.BucketKey(bucket);
        var result = new List<(string, string)>();

        void Write(string objectKey)
        {
            result.Add(("s3:PutObject", arns.Object(bucket, objectKey)));
            if (bucketKey is not null)
            {
                result.Add(("kms:GenerateDataKey", bucketKey));
            }
        }

        void Read(string sourceBucket, string sourceKey, bool decrypts)
        {
            result.Add(("s3:GetObject", arns.Object(sourceBucket, sourceKey)));
            if (decrypts && arns.BucketKey(sourceBucket) is { } key)
            {
                result.Add(("kms:Decrypt", key));
            }
        }

        if (key.Length == 0)
        {
            // Bucket-level requests.
            result.Add((method, Has("delete"), Has("uploads"), Has("versions")) switch
            {
                ("POST", true, _, _) => ("s3:DeleteObject", arns.Bucket(bucket)),
                ("GET", _, true, _) => ("s3:ListBucketMultipartUploads", arns.Bucket(bucket)),
                ("GET", _, _, true) => ("s3:ListBucketVersions", arns.Bucket(bucket)),
                ("GET" or "HEAD", _, _, _) => ("s3:ListBucket", arns.Bucket(bucket)),
                ("PUT", _, _, _) => ("s3:CreateBucket", arns.Bucket(bucket)),
                ("DELETE", _, _, _) => ("s3:DeleteBucket", arns.Bucket(bucket)),
                _ => ("s3:" + method, arns.Bucket(bucket)),
            });
            if (method == "POST" && Has("delete") && body is not null)
            {
                // DeleteObjects: authorized per key as s3:DeleteObject.
                result.Clear();
                foreach (var keyElement in XDocument.Parse(body).Descendants().Where(e => e.Name.LocalName == "Key"))
                {
                    result.Add(("s3:DeleteObject", arns.Object(bucket, keyElement.Value)));
                }
            }

            return result;
        }

        switch (method)
        {
            case "PUT" when Has("tagging"):
                result.Add(("s3:PutObjectTagging", arns.Object(bucket, key)));
                break;
            case "PUT" when copySource is not null:
                {
                    // CopyObject / UploadPartCopy: x-amz-copy-source is /{bucket}/{key}[?versionId=…], URL-encoded.
                    var source = Uri.UnescapeDataString(copySource.Split('?', 2)[0]).TrimStart('/');
                    var sourceSlash = source.IndexOf('/', StringComparison.Ordinal);
                    Read(source[..sourceSlash], source[(sourceSlash + 1)..], decrypts: true);
                    Write(key);
                    break;
                }

            case "PUT":
                Write(key);
                break;
            case "GET" when Has("tagging"):
                result.Add(("s3:GetObjectTagging", arns.Object(bucket, key)));
                break;
            case "GET" when Has("uploadId"):
                result.Add(("s3:ListMultipartUploadParts", arns.Object(bucket, key)));
                break;
            case "GET":
                Read(bucket, key, decrypts: true);
                break;
            case "HEAD":
                Read(bucket, key, decrypts: false);
                break;
            case "DELETE" when Has("tagging"):
                result.Add(("s3:DeleteObjectTagging", arns.Object(bucket, key)));
                break;
            case "DELETE" when Has("uploadId"):
                result.Add(("s3:AbortMultipartUpload", arns.Object(bucket, key)));
                break;
            case "DELETE":
                result.Add((Has("versionId") ? "s3:DeleteObjectVersion" : "s3:DeleteObject", arns.Object(bucket, key)));
                break;
            case "POST" when Has("uploads"):
                Write(key);
                break;
            case "POST" when Has("uploadId"):
                result.Add(("s3:PutObject", arns.Object(bucket, key)));
                break;
            default:
                result.Add(("s3:" + method, arns.Object(bucket, key)));
                break;
        }

        return result;
    }
}
