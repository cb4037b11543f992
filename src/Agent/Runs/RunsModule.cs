using Patchwire.Agent.Configuration;
using Patchwire.Agent.Policy;

namespace Patchwire.Agent.Runs;

/// <summary>POST /ask, GET /queue and crash recovery (issue: runs and fairness).</summary>
public static class RunsModule
{
    public static IServiceCollection AddPatchwireRuns(this IServiceCollection services)
    {
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<AgentOptions>();
            return new RunScheduler(options.MaxConcurrentTotal, options.MaxConcurrentPerUser);
        });
        services.AddSingleton<AiRunner>();
        services.AddSingleton<RunJournal>();
        services.AddSingleton<RunExecutor>();
        services.AddSingleton<RunRecovery>();
        services.AddSingleton<CheckoutPreflight>();
        services.AddSingleton<AskEndpoint>();
        return services;
    }

    public static IEndpointRouteBuilder MapPatchwireRuns(this IEndpointRouteBuilder app)
    {
        app.MapPost("/ask", (HttpContext context, AskEndpoint ask) => ask.HandleAsync(context)).RequireUserPolicyForBodyProject();
        app.MapGet("/queue", (RunScheduler scheduler) => Results.Json(scheduler.Snapshot()));
        return app;
    }

    /// <summary>Runs before the port opens: restores checkouts that a killed run left changed.</summary>
    public static void PreparePatchwireRuns(this WebApplication app)
    {
        AgentGit.ConfigureFromEnvironment();
        foreach (var line in app.Services.GetRequiredService<RunRecovery>().RecoverAll())
            Console.WriteLine(line);
    }
}
