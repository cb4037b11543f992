using Patchwire.Agent.Configuration;
using Patchwire.Agent.Sandbox;

namespace Patchwire.Agent.Health;

public static class HealthEndpoints
{
    public static readonly string Version =
        typeof(HealthEndpoints).Assembly.GetName().Version is { } v ? $"{v.Major}.{v.Minor}.{v.Build}" : "0.0.0";

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", (AgentOptions options, AiSandbox sandbox) =>
            Results.Json(new { ok = true, version = Version, claude = new { found = CommandResolver.Resolve(options.AiBin) is not null }, sandbox = sandbox.InUse }));
        return app;
    }
}
