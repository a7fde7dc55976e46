using System.Net;
using System.Net.Sockets;
using System.Text;
using Chat.Tests.Infrastructure;
using Messenger.Testing.Services;

namespace Chat.Tests;

/// <summary>Runs alone, so the process's allocations during an upload are the upload's own.</summary>
[CollectionDefinition(DisableParallelization = true)]
public sealed class AloneCollection;

/// <summary>
/// An upload over the limit is refused without reading it whole, let alone holding it in memory.
/// Spoken over a raw socket, so the test decides exactly how much of the body has been sent when the answer comes.
/// </summary>
[Collection(nameof(AloneCollection))]
public sealed class UploadLimitTests(AttachmentSystem system) : IClassFixture<AttachmentSystem>
{
    private const long Limit = 50L * 1024 * 1024;
    private const long Oversized = 60L * 1024 * 1024;
    private const int ChunkSize = 64 * 1024;
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(60);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_60_MB_upload_that_says_its_length_gets_413_before_a_byte_of_it_is_sent()
    {
        var alice = await system.NewUserAsync("alice");
        using var connection = await ConnectAsync();

        await SendHeadAsync(connection, alice, $"Content-Length: {Oversized}");
        var (status, body) = await ReadAnswerAsync(connection);

        Assert.Equal(413, status);
        Assert.Contains("application/problem+json", body, StringComparison.Ordinal);
        Assert.Contains($"at most {Limit} bytes", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_60_MB_upload_of_unknown_length_gets_413_while_the_client_is_still_sending_and_is_never_held_in_memory()
    {
        var alice = await system.NewUserAsync("alice");
        using var connection = await ConnectAsync();
        var chunk = new byte[ChunkSize];
        Random.Shared.NextBytes(chunk);
        var chunkHead = Encoding.ASCII.GetBytes($"{ChunkSize:x}\r\n");
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        await SendHeadAsync(connection, alice, "Transfer-Encoding: chunked");
        // One megabyte past the limit, then the client stops sending and waits: a server that wanted
        // the whole body before answering would wait too, for the nine megabytes that never come.
        long sent = 0;
        while (sent < Limit + (1024 * 1024))
        {
            await connection.WriteAsync(chunkHead, Cancellation);
            await connection.WriteAsync(chunk, Cancellation);
            await connection.WriteAsync("\r\n"u8.ToArray(), Cancellation);
            sent += ChunkSize;
        }

        var (status, _) = await ReadAnswerAsync(connection);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        TestContext.Current.TestOutputHelper?.WriteLine($"{allocated:N0} bytes allocated while {sent:N0} bytes were uploaded");

        Assert.Equal(413, status);
        Assert.True(sent < Oversized, "The answer must come before the whole body was sent.");
        // Holding the body would allocate at least its size. Everything in this process (client, server
        // and the services' background work, a few MB a second on a busy machine) stays under half of it.
        Assert.True(allocated < sent / 2, $"{allocated:N0} bytes were allocated while {sent:N0} bytes were uploaded.");
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(system.BlobDirectory, "spool")));
    }

    private async Task<NetworkStream> ConnectAsync()
    {
        var client = new TcpClient();
        await client.ConnectAsync(system.Chat.BaseAddress.Host, system.Chat.BaseAddress.Port, Cancellation);
        return client.GetStream();
    }

    private async Task SendHeadAsync(NetworkStream connection, Tokens user, string lengthHeader)
    {
        var head = $"POST /chat/attachments?name=huge.bin HTTP/1.1\r\nHost: {system.Chat.BaseAddress.Authority}\r\n" +
            $"Authorization: Bearer {user.AccessToken}\r\nContent-Type: application/octet-stream\r\n{lengthHeader}\r\n\r\n";
        await connection.WriteAsync(Encoding.ASCII.GetBytes(head), Cancellation);
    }

    /// <summary>The status and body of the answer (read up to the connection's end or the length the answer states).</summary>
    private static async Task<(int Status, string Body)> ReadAnswerAsync(NetworkStream connection)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        timeout.CancelAfter(AnswerTimeout);
        var received = new List<byte>();
        var buffer = new byte[8192];
        int headEnd;
        while ((headEnd = IndexOf(received, "\r\n\r\n"u8)) < 0)
        {
            var read = await connection.ReadAsync(buffer, timeout.Token);
            Assert.True(read > 0, "The server closed the connection without an answer.");
            received.AddRange(buffer.AsSpan(0, read));
        }

        var head = Encoding.ASCII.GetString([.. received.Take(headEnd)]);
        var status = int.Parse(head.Split(' ')[1]);
        var lengthLine = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        var length = lengthLine is null ? 0 : int.Parse(lengthLine["Content-Length:".Length..].Trim());
        while (received.Count < headEnd + 4 + length)
        {
            var read = await connection.ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                break;
            }

            received.AddRange(buffer.AsSpan(0, read));
        }

        return (status, head + Encoding.UTF8.GetString([.. received.Skip(headEnd + 4)]));
    }

    private static int IndexOf(List<byte> bytes, ReadOnlySpan<byte> needle)
    {
        for (var i = 0; i + needle.Length <= bytes.Count; i++)
        {
            var match = true;
            for (var j = 0; j < needle.Length && match; j++)
            {
                match = bytes[i + j] == needle[j];
            }

            if (match)
            {
                return i;
            }
        }

        return -1;
    }
}
