using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Messenger.Testing.Services;

namespace Directory.Bench;

/// <summary>
/// How long after Auth answers 201 to a registration the new profile is readable in User: the outbox
/// relay, the event log and User's consumer in between. Polled over HTTP as a client would.
/// </summary>
internal static class RegistrationLatency
{
    public static async Task<List<TimeSpan>> MeasureAsync(DirectorySystem system, int registrations)
    {
        using var auth = system.Auth.CreateClient();
        var viewer = await auth.RegisterAsync(AuthClient.NewUsername("viewer"));
        using var users = system.Users.CreateClient(viewer.AccessToken);
        var samples = new List<TimeSpan>(registrations);
        for (var i = 0; i < registrations; i++)
        {
            var username = AuthClient.NewUsername("reg");
            using (var registered = await auth.PostAsJsonAsync("/register", new { username, password = AuthClient.Password }))
            {
                if (registered.StatusCode != HttpStatusCode.Created)
                {
                    throw new InvalidOperationException($"Registration answered {(int)registered.StatusCode}.");
                }
            }

            var watch = Stopwatch.StartNew();
            while (true)
            {
                using var response = await users.GetAsync("/user/" + username);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    break;
                }

                if (watch.Elapsed > TimeSpan.FromSeconds(30))
                {
                    throw new TimeoutException($"The profile of {username} did not appear within 30 s.");
                }
            }

            samples.Add(watch.Elapsed);
        }

        return samples;
    }
}
