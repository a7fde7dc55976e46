using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messenger.Bench.Infrastructure;
using Messenger.Bench.Load;
using Messenger.Bench.Reporting;
using Microsoft.AspNetCore.Identity;
using static Messenger.Bench.Reporting.Format;

namespace Messenger.Bench.Scenarios;

/// <summary>
/// auth: registrations and logins per second against Auth, at growing client concurrency, set beside
/// the raw rate of the password hash it uses (ASP.NET Core Identity's PasswordHasher, measured in this
/// process on every core before the system starts).
/// </summary>
internal static class AuthThroughput
{
    public static async Task RunAsync(BenchContext context)
    {
        var o = context.Options;
        var seconds = o.Double("step-seconds", 10, 5);
        var levels = o.Ints("concurrency", [1, 2, 4, 8, 16, 32], [1, 4, 16]);
        var report = context.NewReport("Registration and login throughput against the raw password-hash rate");

        BenchContext.Say("Raw password hashing on every core");
        var (hashes, verifies) = RawHashRate(TimeSpan.FromSeconds(Math.Min(seconds, 5)));
        BenchContext.Say($"PasswordHasher: {hashes:N0} hashes/s, {verifies:N0} verifications/s");

        await using var sampler = new ProcessSampler();
        sampler.Watch("generator", Environment.ProcessId);
        var spec = context.Spec(new SystemSpec { Durable = context.Durable });
        report.Setup.Add(spec.DescribeDurability() + ".");
        report.Setup.Add("**System**: Auth (Release, Production environment) with its PostgreSQL database and Redis (sessions, login throttling); " +
            "registration also writes the `UserRegistered` event to the outbox, relayed to Redis Streams. Nothing else runs.");
        BenchContext.Say("Starting PostgreSQL, Redis and Auth");
        await using var system = await MessengerSystem.StartAsync(spec, sampler, context.LogDirectory);
        using var http = MessengerClient.Http(system.Auth.BaseAddress);
        await MessengerClient.RegisterManyAsync(system.Auth.BaseAddress, 20, "warm");
        var accounts = await MessengerClient.RegisterManyAsync(system.Auth.BaseAddress, 64, "login", parallel: 8);

        var rows = new List<Row>();
        foreach (var operation in new[] { "register", "login" })
        {
            foreach (var clients in levels)
            {
                var window = sampler.Begin();
                var row = await RunAsync(http, operation, clients, TimeSpan.FromSeconds(seconds), accounts);
                row = row with { Use = window.End() };
                rows.Add(row);
                BenchContext.Say($"{operation}, {clients} clients: {row.PerSecond:N1}/s, p50 {row.Latency.P50:0} ms p99 {row.Latency.P99:0} ms, {row.Errors} errors");
            }
        }

        var bestRegister = rows.Where(r => r.Operation == "register").Max(r => r.PerSecond);
        var bestLogin = rows.Where(r => r.Operation == "login").Max(r => r.PerSecond);
        report.Json["headline"] = $"register {bestRegister:N0}/s, login {bestLogin:N0}/s vs {hashes:N0} raw hashes/s";
        report.Heading("Raw password hash rate");
        report.Paragraph($"`PasswordHasher<T>` (ASP.NET Core Identity v3 format: PBKDF2 with HMAC-SHA512, 100,000 iterations — the hasher Auth registers), " +
            $"on {Environment.ProcessorCount} threads in this process with nothing else running: **{hashes:N1} hashes/s** (`HashPassword`) and **{verifies:N1} " +
            "verifications/s** (`VerifyHashedPassword`). Every registration hashes once and every login verifies once, so these are the ceilings.");
        report.Heading("Through Auth");
        report.Paragraph($"Each client sends one request after another for {seconds:0} s (`POST /register` with a fresh username; `POST /login` for one of 64 " +
            "accounts). Rate = successful responses per second; the ratio compares it with the raw rate above.");
        report.Table(["operation", "clients", "per second", "ratio to raw hash rate", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors", "CPU auth", "CPU postgres", "CPU redis", "CPU generator"],
            rows.Select(r => (IReadOnlyList<string>)[r.Operation, r.Clients.ToString(CultureInfo.InvariantCulture), r.PerSecond.ToString("N1", CultureInfo.InvariantCulture),
                (r.PerSecond / (r.Operation == "register" ? hashes : verifies)).ToString("P0", CultureInfo.InvariantCulture), Ms(r.Latency.P50), Ms(r.Latency.P90), Ms(r.Latency.P99),
                Ms(r.Latency.Max), N(r.Errors), Cpu(r, "auth"), Cpu(r, "postgres"), Cpu(r, "redis"), Cpu(r, "generator")]), "l");
        Charts.Lines(report, "auth-rate.png", "Auth throughput by client concurrency", "concurrent clients", "per second",
            [
                new Charts.Series("register", [.. rows.Where(r => r.Operation == "register").Select(r => (double)r.Clients)], [.. rows.Where(r => r.Operation == "register").Select(r => r.PerSecond)]),
                new Charts.Series("login", [.. rows.Where(r => r.Operation == "login").Select(r => (double)r.Clients)], [.. rows.Where(r => r.Operation == "login").Select(r => r.PerSecond)]),
            ], horizontalLine: (hashes, "raw hash rate (all cores)"));
        report.Image("auth-rate.png", "register and login per second against the raw hash rate");
        report.Paragraph($"Best: registrations {bestRegister:N1}/s = {bestRegister / hashes:P0} of the raw hash rate, logins {bestLogin:N1}/s = {bestLogin / verifies:P0} " +
            "of the raw verification rate. The hash is meant to be slow (it is what makes stolen hashes expensive to crack); what Auth adds on top is " +
            "the rest of the request — JSON, the database transaction, the session in Redis, the token's signature — and the generator's own share of the same two cores.");
        report.Json["raw"] = JsonSerializer.SerializeToNode(new { hashes, verifies }, Report.JsonOptions);
        report.Json["rows"] = JsonSerializer.SerializeToNode(rows, Report.JsonOptions);
        await report.WriteAsync();
    }

    private static string Cpu(Row row, string name) => Pct(row.Use.FirstOrDefault(u => u.Name == name)?.CpuPercent ?? double.NaN);

    private static (double Hashes, double Verifies) RawHashRate(TimeSpan duration)
    {
        var hasher = new PasswordHasher<object>();
        var user = new object();
        var stored = hasher.HashPassword(user, MessengerClient.Password);
        double Rate(Action work)
        {
            var count = 0L;
            var watch = Stopwatch.StartNew();
            Parallel.For(0, Environment.ProcessorCount, _ =>
            {
                while (watch.Elapsed < duration)
                {
                    work();
                    Interlocked.Increment(ref count);
                }
            });
            return count / watch.Elapsed.TotalSeconds;
        }

        Rate(() => hasher.HashPassword(user, "warm-up"));
        return (Rate(() => hasher.HashPassword(user, MessengerClient.Password)),
            Rate(() => hasher.VerifyHashedPassword(user, stored, MessengerClient.Password)));
    }

    private static async Task<Row> RunAsync(HttpClient http, string operation, int clients, TimeSpan duration, Tokens[] accounts)
    {
        var latencies = new List<double>[clients];
        var errors = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var mine = latencies[c] = [];
            var n = 0;
            while (watch.Elapsed < duration)
            {
                var start = Stopwatch.GetTimestamp();
                using var response = operation == "register"
                    ? await http.PostAsJsonAsync("/register", new { username = MessengerClient.NewUsername("r"), password = MessengerClient.Password })
                    : await http.PostAsJsonAsync("/login", new { username = accounts[(c + n++) % accounts.Length].Username, password = MessengerClient.Password });
                await response.Content.ReadAsByteArrayAsync();
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created)
                {
                    mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
                else
                {
                    Interlocked.Increment(ref errors);
                }
            }
        })));
        var all = latencies.SelectMany(l => l).ToList();
        return new Row(operation, clients, all.Count / watch.Elapsed.TotalSeconds, Percentiles.Of(all), errors, []);
    }

    private sealed record Row(string Operation, int Clients, double PerSecond, Percentiles Latency, int Errors, IReadOnlyList<ProcessUse> Use);
}
