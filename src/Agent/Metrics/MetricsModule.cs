using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Patchwire.Agent.Identity;
using Patchwire.Core.Protocol;

namespace Patchwire.Agent.Metrics;

/// <summary>
/// GET /metrics (issue 11, item 5): the instruments of <see cref="AgentMetrics"/> in Prometheus text format, written by
/// OpenTelemetry's Prometheus exporter. Readable with the token of any enabled user, over a loopback connection only
/// (<see cref="ReaderPolicy"/>): a Prometheus on the box scrapes 127.0.0.1 with a token of its own.
/// </summary>
public static class MetricsModule
{
    /// <summary>
    /// The caller policy (a known token of an enabled user: 401 without, 403 "user disabled") plus a loopback
    /// connection (403 "metrics are served to loopback clients only"). A token alone is not enough, since every
    /// developer has one; loopback alone is not enough either, since the AI runs on the box (with the host's network
    /// by default) and a reverse proxy on the box would make every request loopback.
    /// </summary>
    public const string ReaderPolicy = "patchwire-metrics-reader";

    public static IServiceCollection AddPatchwireMetrics(this IServiceCollection services)
    {
        services.AddSingleton<AgentMetrics>();
        services.AddSingleton<IAuthorizationHandler, LoopbackHandler>();
        services.AddAuthorizationBuilder().AddPolicy(ReaderPolicy, policy => policy
            .AddAuthenticationSchemes(BearerTokenHandler.Scheme)
            .RequireAuthenticatedUser()
            .AddRequirements(new ActiveUserRequirement(), new LoopbackRequirement()));
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("patchwire-agent", serviceVersion: Health.HealthEndpoints.Version))
            .WithMetrics(metrics => metrics
                .AddMeter(AgentMetrics.MeterName)
                .AddPrometheusExporter(o =>
                {
                    // Every scrape sees the counts as they are now (the default caches a response for 300 ms).
                    o.ScrapeResponseCacheDurationMilliseconds = 0;
                    // One meter: an otel_scope_* label on every series would say nothing.
                    o.ScopeInfoEnabled = false;
                }));
        return services;
    }

    public static IEndpointRouteBuilder MapPatchwireMetrics(this IEndpointRouteBuilder app)
    {
        // The meter provider listens before the instruments exist, so the counters' zero series are there from the
        // first scrape, before any run (the provider would otherwise start with the host, after this).
        app.ServiceProvider.GetRequiredService<MeterProvider>();
        app.ServiceProvider.GetRequiredService<AgentMetrics>();
        app.MapPrometheusScrapingEndpoint("/" + Routes.Metrics)
            .WithMetadata(new HttpMethodMetadata(new[] { HttpMethods.Get, HttpMethods.Head })) // the exporter maps every method
            .RequireAuthorization(ReaderPolicy);
        return app;
    }
}
