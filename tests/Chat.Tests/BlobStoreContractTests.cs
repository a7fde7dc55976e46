using System.Security.Cryptography;
using Amazon.S3;
using Chat.Api.Data.Blobs;
using Chat.Tests.Infrastructure;

namespace Chat.Tests;

/// <summary>What every blob store must do, run against each: a folder, and an S3 bucket on a real S3-protocol server (s3rver).</summary>
public abstract class BlobStoreContractTests : IAsyncLifetime
{
    protected static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    protected IBlobStore Store { get; private set; } = null!;

    protected abstract Task<IBlobStore> CreateStoreAsync();

    public async ValueTask InitializeAsync() => Store = await CreateStoreAsync();

    public ValueTask DisposeAsync()
    {
        CleanUp();
        return ValueTask.CompletedTask;
    }

    /// <summary>Removes what the store under test left behind.</summary>
    protected abstract void CleanUp();

    [Fact]
    public async Task A_blob_is_read_back_whole_and_by_byte_range()
    {
        var bytes = RandomNumberGenerator.GetBytes(1_000_000);
        await PutAsync("ab/cd/original", bytes);

        Assert.Equal(bytes, await ReadAsync("ab/cd/original", 0, null));
        Assert.Equal(bytes[1000..6000], await ReadAsync("ab/cd/original", 1000, 5000));
        Assert.Equal(bytes[^10..], await ReadAsync("ab/cd/original", bytes.Length - 10, null));
        Assert.Equal(bytes[..1], await ReadAsync("ab/cd/original", 0, 1));
        Assert.True(await Store.ExistsAsync("ab/cd/original", Cancellation));
    }

    [Fact]
    public async Task A_blob_is_stored_from_a_stream_that_cannot_seek()
    {
        var bytes = RandomNumberGenerator.GetBytes(200_000);
        await using var source = new ForwardOnlyStream(bytes);

        await Store.PutAsync("forward/only", source, bytes.Length, "application/octet-stream", Cancellation);

        Assert.Equal(bytes, await ReadAsync("forward/only", 0, null));
    }

    [Fact]
    public async Task A_missing_blob_reads_as_null_and_does_not_exist()
    {
        Assert.Null(await Store.OpenReadAsync("never/written", 0, null, Cancellation));
        Assert.False(await Store.ExistsAsync("never/written", Cancellation));
    }

    [Fact]
    public async Task Putting_a_key_again_replaces_the_blob()
    {
        await PutAsync("same/key", [1, 2, 3, 4]);
        await PutAsync("same/key", [9, 8]);

        Assert.Equal([9, 8], await ReadAsync("same/key", 0, null));
    }

    [Fact]
    public async Task Deleting_removes_the_blob_and_deleting_it_again_is_not_an_error()
    {
        await PutAsync("to/delete", [1]);
        await PutAsync("to/keep", [2]);

        await Store.DeleteAsync("to/delete", Cancellation);
        await Store.DeleteAsync("to/delete", Cancellation);

        Assert.False(await Store.ExistsAsync("to/delete", Cancellation));
        Assert.Null(await Store.OpenReadAsync("to/delete", 0, null, Cancellation));
        Assert.Equal([2], await ReadAsync("to/keep", 0, null));
    }

    [Fact]
    public async Task A_usable_store_passes_its_readiness_check()
    {
        await Store.CheckAsync(Cancellation);
        Assert.Null(await Store.OpenReadAsync("never/written", 0, null, Cancellation));
    }

    [Theory]
    [InlineData("")]
    [InlineData("/absolute")]
    [InlineData("up/../../etc/passwd")]
    [InlineData("Upper/Case")]
    [InlineData("spaces are not keys")]
    public async Task A_key_that_could_escape_or_confuse_the_store_is_refused(string key)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Store.PutAsync(key, new MemoryStream([1]), 1, "application/octet-stream", Cancellation));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.OpenReadAsync(key, 0, null, Cancellation));
    }

    private async Task PutAsync(string key, byte[] bytes)
    {
        using var source = new MemoryStream(bytes);
        await Store.PutAsync(key, source, bytes.Length, "application/octet-stream", Cancellation);
    }

    private async Task<byte[]> ReadAsync(string key, long offset, long? length)
    {
        await using var stream = await Store.OpenReadAsync(key, offset, length, Cancellation);
        Assert.NotNull(stream);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy, Cancellation);
        return copy.ToArray();
    }

    /// <summary>A request body as the server sees it: read once, front to back.</summary>
    private sealed class ForwardOnlyStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }
    }
}

public sealed class FileSystemBlobStoreTests : BlobStoreContractTests
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "messenger-blobs-" + Guid.NewGuid().ToString("N")[..12]);

    [Fact]
    public async Task A_folder_that_cannot_be_written_fails_the_readiness_check()
    {
        var blocked = Path.Combine(folder, "blocked");
        var store = new FileSystemBlobStore(blocked);
        Directory.Delete(blocked);
        await File.WriteAllTextAsync(blocked, "a file where the folder should be", Cancellation);

        await Assert.ThrowsAnyAsync<IOException>(() => store.CheckAsync(Cancellation));
    }

    protected override Task<IBlobStore> CreateStoreAsync() => Task.FromResult<IBlobStore>(new FileSystemBlobStore(folder));

    protected override void CleanUp()
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Nothing_is_written_outside_the_folder_and_no_partial_file_is_left()
    {
        await Store.PutAsync("a/b", new MemoryStream([1, 2, 3]), 3, "application/octet-stream", Cancellation);
        await Assert.ThrowsAsync<EndOfStreamException>(() => Store.PutAsync("a/short", new MemoryStream([1]), 10, "application/octet-stream", Cancellation));

        Assert.Equal([Path.Combine(folder, "a", "b")], Directory.GetFiles(folder, "*", SearchOption.AllDirectories));
    }
}

public sealed class S3BlobStoreTests(S3rverServer s3rver) : BlobStoreContractTests, IClassFixture<S3rverServer>
{
    private IAmazonS3? client;

    [Fact]
    public async Task A_bucket_that_does_not_exist_fails_the_readiness_check()
    {
        var missing = new S3BlobStore(client!, "no-such-bucket-" + Guid.NewGuid().ToString("N")[..8]);

        await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => missing.CheckAsync(Cancellation));
    }

    protected override async Task<IBlobStore> CreateStoreAsync()
    {
        client = s3rver.CreateClient();
        var bucket = "test-" + Guid.NewGuid().ToString("N")[..12];
        await client.PutBucketAsync(bucket, Cancellation);
        return new S3BlobStore(client, bucket, keyPrefix: "messenger/");
    }

    protected override void CleanUp() => client?.Dispose();
}
