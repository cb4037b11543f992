using Patchwire.Agent.Checkouts;
using Patchwire.Agent.Http;
using Patchwire.Core.Protocol;

namespace Patchwire.Agent.Runs;

/// <summary>Where a run (an /ask or a /chat turn) will happen: the checkout, the resolved baseline, and whether the executor must re-check cleanliness.</summary>
public sealed record RunTarget(string Checkout, string? Baseline, bool VerifyClean);

/// <summary>
/// The checkout checks shared by /ask and /chat, answered as plain HTTP before any stream byte: 400 invalid project
/// name, 404 missing, 412 not a git repository, 400/409 for a malformed or unknown baseline, 409 dirty without one.
/// </summary>
public sealed class CheckoutPreflight(ProjectPaths paths, CheckoutLocks locks)
{
    public async Task<Checked<RunTarget>> CheckAsync(string user, string project, string? baseline)
    {
        var checkout = paths.Resolve(user, project);
        if (checkout is null) return ApiErrors.BadRequest(HttpErrors.InvalidProjectName);
        if (!Directory.Exists(checkout))
            return ApiErrors.NotFound(new ApiError(HttpErrors.ProjectNotFound)
            {
                Project = project, Hint = "Sync the project first (Invoke-PatchwireAsk syncs; or 'patchwire sync').",
            });
        if (!await CheckoutWorkspace.IsRepositoryRootAsync(checkout))
            return ApiErrors.PreconditionFailed(new ApiError(HttpErrors.NotAGitRepository)
            {
                Project = project, Hint = "The checkout must be the top level of a git repository with at least one commit.",
            });

        if (baseline is not null)
        {
            if (!CheckoutWorkspace.IsCommitIdShape(baseline))
                return ApiErrors.BadRequest(HttpErrors.InvalidBodyPrefix + "field 'baseline' must be a commit id (hex)");
            var resolved = await CheckoutWorkspace.ResolveCommitAsync(checkout, baseline);
            if (resolved is null)
                return ApiErrors.Conflict(new ApiError(HttpErrors.UnknownBaseline)
                {
                    Baseline = baseline, Hint = "The agent does not have this snapshot. Sync again (Invoke-PatchwireAsk syncs by default) and retry.",
                });
            return new RunTarget(checkout, resolved, false);
        }

        // While another run holds this checkout its tree is changed on purpose; the executor re-checks under the lock.
        if (locks.IsHeld(checkout)) return new RunTarget(checkout, null, true);
        var status = await CheckoutWorkspace.StatusAsync(checkout);
        if (status.Length > 0)
            return ApiErrors.Conflict(new ApiError(HttpErrors.CheckoutDirty)
            {
                Status = status, Hint = "Commit or discard the changes in the checkout on the box, or sync with a baseline.",
            });
        return new RunTarget(checkout, null, false);
    }
}
