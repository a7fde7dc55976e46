using Auth.Api.Data;
using Auth.Api.Domain;
using Auth.Api.Login;
using Auth.Api.OAuth;
using Auth.Api.Sessions;
using Auth.Api.Tokens;
using Messenger.EventBus;
using Messenger.EventBus.Outbox;
using Messenger.ServiceDefaults;
using Messenger.ServiceDefaults.Authentication;
using Messenger.ServiceDefaults.Data;
using Messenger.ServiceDefaults.Redis;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Auth.Api.Extensions;

public static class AuthServiceExtensions
{
    public const string DatabaseName = "auth";

    public static WebApplicationBuilder AddAuthServices(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        builder.AddMessengerRedis();
        builder.AddNpgsqlDbContext<WebApplicationBuilder, AuthDbContext>(DatabaseName, (sp, options) => options.AddOutboxInterceptor(sp));
        builder.AddEventBus();
        services.AddOutboxRelay<AuthDbContext>();

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IPasswordHasher<Account>, PasswordHasher<Account>>();
        services.AddScoped<AccountFactory>();
        services.AddScoped<SessionService>();
        services.AddSingleton<SessionRetention>();
        services.AddHostedService(sp => sp.GetRequiredService<SessionRetention>());
        services.AddScoped<ExternalAccounts>();
        services.AddSingleton<TokenIssuer>();
        services.AddSingleton<SigningKeyRing>();
        services.AddHostedService<SigningKeyMaintenance>();
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<RegistrationThrottle>();
        services.AddScoped<AccountDeletion>();
        services.AddSingleton<OidcClient>();
        services.AddHttpClient(OidcClient.HttpClientName);

        services.AddOptions<SessionLifetimeOptions>().BindConfiguration(SessionLifetimeOptions.SectionName)
            .Validate(o => new[] { o.RefreshTokenLifetime, o.AbsoluteLifetime, o.ReuseDetectionWindow, o.EndedSessionRetention, o.RetentionInterval }.All(t => t > TimeSpan.Zero),
                "Every Sessions:* period must be positive.")
            .ValidateOnStart();
        services.AddOptions<SigningKeyOptions>().BindConfiguration(SigningKeyOptions.SectionName).ValidateOnStart();
        services.AddOptions<LoginThrottleOptions>().BindConfiguration(LoginThrottleOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RegistrationThrottleOptions>().BindConfiguration(RegistrationThrottleOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AccountDeletionOptions>().BindConfiguration(AccountDeletionOptions.SectionName).ValidateOnStart();
        services.AddOptions<OAuthOptions>().BindConfiguration(OAuthOptions.SectionName).ValidateOnStart();

        // Auth checks its own tokens with the keys it holds rather than fetching its own JWKS.
        builder.AddMessengerAuthentication();
        services.AddOptions<Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerOptions>(
                Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerDefaults.AuthenticationScheme)
            .Configure<SigningKeyRing, IOptions<JwtOptions>>((options, ring, jwt) =>
            {
                options.Authority = null;
                options.ConfigurationManager = new LocalSigningKeys(ring, jwt.Value.Issuer);
            });
        return builder;
    }
}
