using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Patchwire.Agent.Http;

namespace Patchwire.Agent.Identity;

/// <summary>
/// Answers a refused request with the JSON error body: a forbidden request gets 403 {"error": reason} from the first
/// failed requirement's reason (e.g. "user disabled"); a challenge is the scheme's own 401 (<see cref="BearerTokenHandler"/>).
/// </summary>
public sealed class JsonAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden && authorizeResult.AuthorizationFailure?.FailureReasons.FirstOrDefault() is { } reason)
            return ApiErrors.Forbidden(reason.Message).ExecuteAsync(context);
        return _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
