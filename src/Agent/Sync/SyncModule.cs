namespace Patchwire.Agent.Sync;

/// <summary>The HTTP git-snapshot sync (issue: the laptop side).</summary>
public static class SyncModule
{
    public static IServiceCollection AddPatchwireSync(this IServiceCollection services) => services;

    public static IEndpointRouteBuilder MapPatchwireSync(this IEndpointRouteBuilder app) => app;
}
