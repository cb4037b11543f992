using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Patchwire.Core.Audit;
using Patchwire.Core.Identity;
using Patchwire.Core.Protocol;

namespace Patchwire.Agent.Policy;

/// <summary>
/// Applies a user's policy (project allowlist, then rate limit) with upstream Patchwire's 403 bodies
/// <c>{"error":"project_not_allowed"|"rate_limited","message":…}</c>. The policy comes from the user record the
/// request was authenticated with, so an admin's change applies to the next request.
/// </summary>
public sealed class PolicyGate(RateLimiter rateLimiter, BudgetLedger ledger, TimeProvider clock)
{
    public const string ProjectNotAllowed = HttpErrors.ProjectNotAllowed;
    public const string RateLimited = HttpErrors.RateLimited;
    public const string BudgetExceeded = HttpErrors.BudgetExceeded;

    /// <param name="project">The project the request names, or null when it names none readable (the endpoint then answers 400).</param>
    /// <param name="counts">False for a probe (GET /sync) that is checked against the limit but does not use it up.</param>
    /// <param name="spends">True for the routes that run the AI (/ask, /chat): only they are held to the budget.</param>
    /// <returns>null to go on, else the refusal to send.</returns>
    public IResult? Check(UserRecord user, string? project, bool counts, bool spends)
    {
        var policy = user.Policy;
        if (policy is null) return null;
        if (project is not null && !policy.AllowsProject(project))
            return Refuse(ProjectNotAllowed, $"project '{project}' is not in your allowed list");
        if (spends && policy.Budget is { } budget && OverBudget(user.Name, budget) is { } over)
            return over;
        if (policy.RateLimit is { } limit && rateLimiter.TryAcquire(user.Name, limit, counts) is { } freeAt)
        {
            var retryAfter = Math.Max(1, (long)Math.Ceiling((freeAt - clock.GetUtcNow()).TotalSeconds));
            return new WithHeader(Refuse(RateLimited, $"rate limit reached ({limit.Max} requests per window)"), "Retry-After", retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return null;
    }

    // Written as JavaScript's JSON.stringify writes them (quotes in the message not escaped as \u0027), as upstream sends them.
    private static readonly JsonSerializerOptions BodyOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static IResult Refuse(string error, string message) => Forbidden(new Dictionary<string, object?> { ["error"] = error, ["message"] = message });

    private static IResult Forbidden(Dictionary<string, object?> body) =>
        Results.Text(JsonSerializer.Serialize(body, BodyOptions), "application/json; charset=utf-8", statusCode: StatusCodes.Status403Forbidden);

    private IResult? OverBudget(string user, BudgetPolicy budget)
    {
        var (start, end) = budget.WindowAt(clock.GetUtcNow());
        var spent = ledger.SpentSince(user, start);
        var since = AuditLineFormat.FormatTimestamp(start);
        var resets = AuditLineFormat.FormatTimestamp(end);
        string? kind = null, message = null;
        object limit = 0, used = 0;
        if (budget.Tokens is { } tokens && spent.Tokens >= tokens)
        {
            (kind, limit, used) = ("tokens", tokens, spent.Tokens);
            message = $"token budget reached: {spent.Tokens} of {tokens} tokens spent since {since}; the window resets at {resets}";
        }
        else if (budget.CostUsd is { } cost && spent.CostUsd >= cost)
        {
            (kind, limit, used) = ("cost_usd", cost, Math.Round(spent.CostUsd, 6));
            message = $"cost budget reached: ${spent.CostUsd.ToString("0.00##", CultureInfo.InvariantCulture)} of ${cost.ToString("0.00##", CultureInfo.InvariantCulture)} spent since {since}; the window resets at {resets}";
        }
        if (kind is null) return null;
        var retryAfter = Math.Max(1, (long)Math.Ceiling((end - clock.GetUtcNow()).TotalSeconds));
        var body = Forbidden(new Dictionary<string, object?>
        {
            ["error"] = BudgetExceeded, ["message"] = message, ["budget"] = kind, ["limit"] = limit, ["spent"] = used,
            ["spentTokens"] = spent.Tokens, ["spentCostUsd"] = Math.Round(spent.CostUsd, 6), ["windowStart"] = since, ["resetsAt"] = resets,
        });
        return new WithHeader(body, "Retry-After", retryAfter.ToString(CultureInfo.InvariantCulture));
    }

    private sealed class WithHeader(IResult inner, string name, string value) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            context.Response.Headers[name] = value;
            return inner.ExecuteAsync(context);
        }
    }
}
