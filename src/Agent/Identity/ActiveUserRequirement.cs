using Microsoft.AspNetCore.Authorization;
using Patchwire.Core.Protocol;

namespace Patchwire.Agent.Identity;

/// <summary>The caller is a user who is not disabled. Failing it answers 403 {"error":"user disabled"}.</summary>
public sealed class ActiveUserRequirement : IAuthorizationRequirement
{
    public const string DisabledReason = HttpErrors.UserDisabled;
}

/// <summary>Checks <see cref="ActiveUserRequirement"/> and remembers when each admitted user was last seen.</summary>
public sealed class ActiveUserHandler(LastSeenTracker lastSeen) : AuthorizationHandler<ActiveUserRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ActiveUserRequirement requirement)
    {
        var caller = context.User.Identities.OfType<CallerIdentity>().FirstOrDefault()?.User;
        if (caller is null) return Task.CompletedTask; // anonymous: the policy's authenticated-user requirement challenges
        if (caller.Disabled)
        {
            context.Fail(new AuthorizationFailureReason(this, ActiveUserRequirement.DisabledReason));
            return Task.CompletedTask;
        }
        lastSeen.Seen(caller.Name);
        context.Succeed(requirement);
        return Task.CompletedTask;
    }
}
