using Microsoft.AspNetCore.Http.HttpResults;
using Patchwire.Agent.Configuration;
using Patchwire.Agent.Policy;
using Patchwire.Core.Protocol;
using Patchwire.Agent.Sandbox;

namespace Patchwire.Agent.Runs;

/// <summary>POST /ask, GET /queue, the queued-run flow shared with /chat, and crash recovery (issue: runs and fairness).</summary>
public static class RunsModule
{
    public static IServiceCollection AddPatchwireRuns(this IServiceCollection services)
    {
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<AgentOptions>();
            return new RunScheduler(options.MaxConcurrentTotal, options.MaxConcurrentPerUser);
        });
        services.AddSingleton<AiSandbox>();
        services.AddSingleton<AiRunner>();
        services.AddSingleton<RunJournal>();
        services.AddSingleton<Checkouts.RunWorktrees>();
        services.AddSingleton<RunExecutor>();
        services.AddSingleton<RunRecovery>();
        services.AddSingleton<CheckoutPreflight>();
        services.AddSingleton<QueuedRunFlow>();
        return services;
    }

    public static IEndpointRouteBuilder MapPatchwireRuns(this IEndpointRouteBuilder app)
    {
        app.MapPost("/ask", AskEndpoint.HandleAsync).RequireUserPolicyForBodyProject();
        app.MapGet("/queue", (RunScheduler scheduler) => TypedResults.Ok(scheduler.Snapshot()));
        return app;
    }
}
