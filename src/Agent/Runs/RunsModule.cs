namespace Patchwire.Agent.Runs;

/// <summary>POST /ask, GET /queue and crash recovery (issue: runs and fairness).</summary>
public static class RunsModule
{
    public static IServiceCollection AddPatchwireRuns(this IServiceCollection services) => services;

    public static IEndpointRouteBuilder MapPatchwireRuns(this IEndpointRouteBuilder app) => app;

    /// <summary>Runs before the port opens: restores checkouts that a killed run left changed.</summary>
    public static void PreparePatchwireRuns(this WebApplication app) { }
}
