using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Patchwire.Agent.Identity;

/// <summary>
/// Who is calling (issue: users): the bearer-token scheme, the one authorization policy every route but GET /health
/// needs, GET /me, and the last-seen tracker.
/// </summary>
public static class IdentityModule
{
    /// <summary>Signed in with a known token, and not disabled. Also the fallback: a route that says nothing requires it.</summary>
    public const string CallerPolicy = "patchwire-caller";

    public static IServiceCollection AddPatchwireIdentity(this IServiceCollection services)
    {
        services.AddSingleton<UserDirectory>();
        services.AddSingleton<LastSeenTracker>();
        services.AddHostedService(sp => sp.GetRequiredService<LastSeenTracker>());

        // Not AddAuthentication(): it also adds data protection, whose start-up writes a key ring under ~/.aspnet,
        // and nothing here signs cookies or state. The bearer scheme needs only the core services and the encoders.
        services.AddAuthenticationCore(o => o.DefaultScheme = BearerTokenHandler.Scheme);
        services.AddWebEncoders();
        services.TryAddSingleton(TimeProvider.System);
        new AuthenticationBuilder(services).AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.Scheme, null);
        var caller = new AuthorizationPolicyBuilder(BearerTokenHandler.Scheme)
            .RequireAuthenticatedUser()
            .AddRequirements(new ActiveUserRequirement())
            .Build();
        services.AddAuthorizationBuilder()
            .AddPolicy(CallerPolicy, caller)
            .SetDefaultPolicy(caller)
            .SetFallbackPolicy(caller);
        services.AddSingleton<IAuthorizationHandler, ActiveUserHandler>();
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, JsonAuthorizationResultHandler>();
        return services;
    }
}
