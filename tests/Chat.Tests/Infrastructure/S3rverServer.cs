using System.Diagnostics;
using System.Text.RegularExpressions;
using Amazon.S3;
using Chat.Api.Data.Blobs;
using Chat.Api.Extensions;

namespace Chat.Tests.Infrastructure;

/// <summary>
/// s3rver (a small S3-protocol server on Node.js) on a loopback port, with its data in a temporary
/// folder. It is installed by <c>npm ci</c> in tests/Chat.Tests/s3rver (scripts/test.sh does
/// that); without Node.js or that install the tests that need it fail and say what to run.
/// </summary>
public sealed partial class S3rverServer : IAsyncLifetime
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly string dataDirectory = Path.Combine(Path.GetTempPath(), "messenger-s3rver-" + Guid.NewGuid().ToString("N")[..12]);
    private Process? process;

    public Uri ServiceUrl { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var script = FindScript();
        var node = FindOnPath("node") ?? throw new InvalidOperationException(
            "Node.js is not installed, so the S3 blob store cannot be tested against s3rver. Install it " +
            "(`bash scripts/install-deps.sh` installs Debian's nodejs and npm) and run `npm ci` in tests/Chat.Tests/s3rver.");
        Directory.CreateDirectory(dataDirectory);
        var start = new ProcessStartInfo(node)
        {
            ArgumentList = { script, "--directory", dataDirectory, "--address", "127.0.0.1", "--port", "0", "--no-vhost-buckets" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        process = Process.Start(start) ?? throw new InvalidOperationException("s3rver did not start.");
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(StartTimeout);
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (ListeningOn().Match(line) is { Success: true } match)
            {
                ServiceUrl = new Uri($"http://127.0.0.1:{match.Groups[1].Value}");
                // Keep reading, so a full pipe never stalls the server.
                _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
                return;
            }
        }

        throw new InvalidOperationException($"s3rver exited before listening: {await errors}");
    }

    public IAmazonS3 CreateClient() => S3BlobStore.CreateClient(new S3StoreOptions
    {
        ServiceUrl = ServiceUrl.ToString(),
        AccessKey = AccessKey,
        SecretKey = SecretKey,
    });

    public ValueTask DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5_000);
        }

        process?.Dispose();
        if (Directory.Exists(dataDirectory))
        {
            Directory.Delete(dataDirectory, recursive: true);
        }

        return ValueTask.CompletedTask;
    }

    private static string FindScript()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var folder = Path.Combine(directory.FullName, "tests", "Chat.Tests", "s3rver");
            if (Directory.Exists(folder))
            {
                var script = Path.Combine(folder, "node_modules", "s3rver", "bin", "s3rver.js");
                return File.Exists(script) ? script : throw new InvalidOperationException(
                    $"s3rver is not installed in {folder}. Run `npm ci` there (scripts/test.sh does it when npm is installed).");
            }
        }

        throw new InvalidOperationException($"No tests/Chat.Tests/s3rver above {AppContext.BaseDirectory}.");
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, name))
            .FirstOrDefault(File.Exists);

    [GeneratedRegex(@"listening on [^:]+:(\d+)")]
    private static partial Regex ListeningOn();
}
