using Patchwire.Agent.Http;
using Patchwire.Core.Identity;

namespace Patchwire.Agent.Policy;

/// <summary>
/// Applies a user's policy (project allowlist, then rate limit) with upstream Patchwire's 403 bodies
/// <c>{"error":"project_not_allowed"|"rate_limited","message":…}</c>. The policy comes from the user record the
/// request was authenticated with, so an admin's change applies to the next request.
/// </summary>
public sealed class PolicyGate(RateLimiter rateLimiter, TimeProvider clock)
{
    public const string ProjectNotAllowed = "project_not_allowed";
    public const string RateLimited = "rate_limited";

    /// <param name="project">The project the request names, or null when it names none readable (the endpoint then answers 400).</param>
    /// <param name="counts">False for a probe (GET /sync) that is checked against the limit but does not use it up.</param>
    /// <returns>null to go on, else the refusal to send.</returns>
    public IResult? Check(UserRecord user, string? project, bool counts)
    {
        var policy = user.Policy;
        if (policy is null) return null;
        if (project is not null && !policy.AllowsProject(project))
            return Refuse(ProjectNotAllowed, $"project '{project}' is not in your allowed list");
        if (policy.RateLimit is { } limit && rateLimiter.TryAcquire(user.Name, limit, counts) is { } freeAt)
        {
            var retryAfter = Math.Max(1, (long)Math.Ceiling((freeAt - clock.GetUtcNow()).TotalSeconds));
            return new WithHeader(Refuse(RateLimited, $"rate limit reached ({limit.Max} requests per window)"), "Retry-After", retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return null;
    }

    private static IResult Refuse(string error, string message) =>
        JsonErrors.Result(StatusCodes.Status403Forbidden, error, new { message });

    private sealed class WithHeader(IResult inner, string name, string value) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            context.Response.Headers[name] = value;
            return inner.ExecuteAsync(context);
        }
    }
}
