using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using DropSync.Aws.DynamoDb;
using DropSync.Aws.S3;
using DropSync.Core.Accounts;
using DropSync.Core.Blocks;
using DropSync.Core.Content;
using DropSync.Core.Files;
using DropSync.Core.Model;
using DropSync.Core.Paths;
using DropSync.Core.Ports;
using DropSync.Core.Sharing;
using DropSync.Testing;

namespace DropSync.Aws.Benchmarks;

/// <summary>
/// S3 and DynamoDB requests per uploaded block, with real presigned URLs against fauxqs (S3) and DynamoDB Local: a
/// resumable upload (begin, the client's PUTs, finish), staged as before (every block PUT to incoming/, then finish's
/// HEAD, COPY, DELETE) and direct as now (a new block PUT once to blocks/{sha256}; finish touches no object).
/// </summary>
internal static class UploadRequestsBenchmark
{
    // Whole 4 MiB pieces: finish derives the content hash from the block names (other block sizes are read back once).
    private const int BlocksPerFile = 2;

    public static async Task RunAsync(AmazonDynamoDBClient dynamo, CapacityProbe probe, int files, CancellationToken ct)
    {
        var (_, fauxqs) = await AwsTestServers.InstallAsync();
        var port = LocalPorts.Free();
        using var process = ChildProcess.Start("node", [fauxqs], new Dictionary<string, string> { ["FAUXQS_PORT"] = port.ToString(CultureInfo.InvariantCulture), ["FAUXQS_LOGGER"] = "false" });
        var endpoint = $"http://127.0.0.1:{port}";
        using var s3 = new AmazonS3Client(new BasicAWSCredentials("bench", "bench"), new AmazonS3Config { ServiceURL = endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
        await WaitReadyAsync(s3, ct);
        var serverRequests = 0;
        s3.BeforeRequestEvent += (_, _) => Interlocked.Increment(ref serverRequests);

        Console.WriteLine($"uploads through presigned S3 URLs (fauxqs at {endpoint}, DynamoDB Local; {files} files of {BlocksPerFile} × 4 MiB blocks, resumable: begin, client PUTs, finish)");
        Console.WriteLine($"  {"flow",-44} {"S3/block",9} {"client PUT",10} {"server S3",9} {"DDB req",8} {"RRU",6} {"WRU",6}   per file");
        foreach (var direct in new[] { false, true })
        {
            var tables = new DynamoDbTableNames("up" + (direct ? "d" : "s") + Ids.New("", 4) + "-");
            await DynamoDbSchema.CreateAsync(dynamo, tables, ct);
            var bucket = "bench-" + Guid.NewGuid().ToString("N")[..12];
            await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket }, ct);
            var stack = Compose(dynamo, tables, s3, bucket, direct);
            var clientPuts = 0;
            serverRequests = 0;
            probe.Take();
            using var http = new HttpClient();
            for (var f = 0; f < files; f++)
            {
                var caller = new Caller("u_up" + f, $"up{f}@bench.example", "d_up" + f, "bench", Namespaces.RootOf("u_up" + f));
                var blocks = Enumerable.Range(0, BlocksPerFile).Select(_ => RandomNumberGenerator.GetBytes(Limits.MaxBlockSize)).ToList();
                var refs = blocks.Select(b => new BlockRef(BlockHash.Of(b), b.Length)).ToList();
                var state = await stack.Uploads.BeginAsync(caller, new ResumableUploadRequest($"/up/{f}.bin", refs.Sum(r => (long)r.Size), refs, WriteMode.Add, null, null), ct);
                foreach (var missing in state.Missing)
                {
                    var body = new ByteArrayContent(blocks[refs.FindIndex(r => r.Hash.Hex == missing.Hash)]);
                    using var put = new HttpRequestMessage(HttpMethod.Put, missing.Url) { Content = body };
                    foreach (var (name, value) in missing.Headers)
                    {
                        if (!put.Headers.TryAddWithoutValidation(name, value))
                        {
                            body.Headers.Remove(name);
                            body.Headers.TryAddWithoutValidation(name, value);
                        }
                    }

                    using var answer = await http.SendAsync(put, ct);
                    clientPuts++;
                    if (!answer.IsSuccessStatusCode && answer.StatusCode != HttpStatusCode.PreconditionFailed)
                    {
                        throw new BenchmarkException($"PUT of a block answered {(int)answer.StatusCode}");
                    }
                }

                await stack.Uploads.FinishAsync(caller, state.UploadId, ct);
            }

            var capacity = probe.Take().Per(files);
            var label = direct ? "direct (now): PUT blocks/{sha256}" : "staged (before): PUT incoming/, HEAD+COPY+DELETE";
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  {label,-44} {(clientPuts + serverRequests) / (double)(BlocksPerFile * files),9:0.##} {clientPuts / (double)files,10:0.##} {serverRequests / (double)files,9:0.##} {capacity.Requests,8:0.#} {capacity.ReadUnits,6:0.#} {capacity.WriteUnits,6:0.#}"));
        }

        Console.WriteLine("  (S3/block: every S3 request an uploaded block costs, the client's PUT and the server's: begin's HEAD of incoming/,");
        Console.WriteLine("  finish's HEAD, COPY and DELETE when staged; none when direct)");
    }

    private static (UploadService Uploads, IBlockIndex Index) Compose(AmazonDynamoDBClient dynamo, DynamoDbTableNames tables, IAmazonS3 s3, string bucket, bool direct)
    {
        var clock = TimeProvider.System;
        var db = new DynamoDbContext(dynamo, tables);
        var options = new S3BlockStoreOptions { BucketName = bucket };
        var blocks = new DynamoDbBlockIndex(db);
        var index = new S3StagedBlockIndex(blocks, s3, options, clock, stagesOnlyStoredBlocks: direct);
        IBlockTransferUrls urls = direct ? new S3DirectBlockUrls(s3, options, blocks, clock) : new S3StagedBlockUrls(s3, options, clock);
        var store = new S3BlockStore(s3, options);
        var meta = new DynamoDbFileMetadataStore(db);
        var resolver = new PathResolver(new DynamoDbSharingStore(db));
        var quota = new StorageQuota(new DynamoDbRetentionStore(db), new DropSyncOptions(), clock);
        var committer = new FileCommitter(meta, new NoChangePublisher(), clock, quota);
        var service = new BlockService(store, index, new BlockLocks(), clock);
        return (new UploadService(service, store, index, new DynamoDbUploadSessionStore(db, clock), urls, meta, committer, resolver, new DropSyncOptions(), clock, quota), index);
    }

    private static async Task WaitReadyAsync(IAmazonS3 s3, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await s3.ListBucketsAsync(ct);
                return;
            }
            catch (Exception e) when (attempt < 900 && e is AmazonServiceException or HttpRequestException)
            {
                await Task.Delay(100, ct);
            }
        }
    }

    private sealed class NoChangePublisher : IChangePublisher
    {
        public ValueTask PublishAsync(IReadOnlyList<ChangeRecord> changes, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
