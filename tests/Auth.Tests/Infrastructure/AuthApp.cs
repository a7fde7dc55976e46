using Messenger.Testing;
using Messenger.Testing.Services;

namespace Auth.Tests.Infrastructure;

/// <summary>The Auth service on a real port with its own database and Redis key prefix.</summary>
public class AuthApp(TestServers servers) : ServiceApp<Auth.Api.IApiMarker>(servers, "auth");
