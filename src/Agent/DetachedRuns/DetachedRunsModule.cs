using Patchwire.Agent.Configuration;
using Patchwire.Agent.Policy;

namespace Patchwire.Agent.DetachedRuns;

/// <summary>Detached runs (issue 13, SPEC §17): the routes, the store, start-up recovery and the retention sweep.</summary>
public static class DetachedRunsModule
{
    public static IServiceCollection AddPatchwireDetachedRuns(this IServiceCollection services)
    {
        services.AddSingleton(sp => DetachedRunOptions.FromEnvironment(sp.GetRequiredService<AgentOptions>()));
        services.AddSingleton<RunStore>();
        services.AddSingleton<RunNotifier>();
        services.AddSingleton<DetachedRunService>();
        services.AddHostedService(sp => sp.GetRequiredService<DetachedRunService>());
        return services;
    }

    public static IEndpointRouteBuilder MapPatchwireDetachedRuns(this IEndpointRouteBuilder app)
    {
        app.MapPost("/runs", DetachedRunEndpoints.StartAsync).RequireUserPolicyForBodyProject();
        app.MapGet("/runs", DetachedRunEndpoints.List);
        app.MapGet("/runs/{id}", DetachedRunEndpoints.GetAsync);
        app.MapGet("/runs/{id}/events", DetachedRunEndpoints.EventsAsync);
        app.MapDelete("/runs/{id}", DetachedRunEndpoints.CancelAsync);
        return app;
    }
}
