using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Patchwire.Agent.Checkouts;
using Patchwire.Agent.Configuration;
using Patchwire.Agent.Http;
using Patchwire.Agent.Identity;
using Patchwire.Agent.Policy;
using Patchwire.Core.Protocol;

namespace Patchwire.Agent.Sync;

/// <summary>
/// The HTTP git-snapshot sync (SPEC §6):
/// GET /sync/{project} answers {"project","baseline": sha|null,"maxBundleBytes"};
/// POST /sync/{project} takes a git bundle (application/octet-stream) holding refs/patchwire/snapshots/{project},
/// checks it out into the caller's checkout and answers {"project","baseline"}. 409 when the bundle builds on a
/// snapshot the agent lacks (the client then sends a full bundle), 413 beyond PW_MAX_BUNDLE_BYTES.
/// </summary>
public static class SyncModule
{
    public static IServiceCollection AddPatchwireSync(this IServiceCollection services) =>
        services.AddSingleton<SnapshotReceiver>().AddSingleton<SnapshotHistory>();

    public static IEndpointRouteBuilder MapPatchwireSync(this IEndpointRouteBuilder app)
    {
        app.MapGet("/sync/{project}", async Task<Results<Ok<SyncState>, JsonHttpResult<ApiError>>> (HttpContext context, ClaimsPrincipal caller, string project, ProjectPaths paths, AgentOptions options) =>
        {
            var checkout = paths.Resolve(caller.CallerName(), project);
            if (checkout is null) return ApiErrors.BadRequest(HttpErrors.InvalidProjectName);
            var baseline = await CheckoutBaseline.CurrentAsync(checkout, context.RequestAborted);
            return TypedResults.Ok(new SyncState { Project = project, Baseline = baseline, MaxBundleBytes = options.MaxBundleBytes, MaxPromptBytes = options.MaxPromptBytes });
        }).RequireUserPolicyForRouteProject(counts: false);

        app.MapPost("/sync/{project}", async Task<IResult> (HttpContext context, ClaimsPrincipal caller, string project, ProjectPaths paths, SnapshotReceiver receiver) =>
        {
            var user = caller.CallerName();
            var checkout = paths.Resolve(user, project);
            if (checkout is null) return ApiErrors.BadRequest(HttpErrors.InvalidProjectName);
            return await receiver.ReceiveAsync(context, user, project, checkout);
        }).RequireUserPolicyForRouteProject();
        return app;
    }
}
