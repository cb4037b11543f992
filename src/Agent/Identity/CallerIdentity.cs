using System.Security.Claims;
using Patchwire.Core.Identity;

namespace Patchwire.Agent.Identity;

/// <summary>The identity of a request signed in by <see cref="BearerTokenHandler"/>: the user's name claim and the registry record it was checked against.</summary>
public sealed class CallerIdentity : ClaimsIdentity
{
    public CallerIdentity(UserRecord user, string authenticationType)
        : base(new[] { new Claim(ClaimTypes.Name, user.Name) }, authenticationType)
    {
        User = user;
    }

    private CallerIdentity(CallerIdentity other) : base(other) => User = other.User;

    public UserRecord User { get; }

    public override ClaimsIdentity Clone() => new CallerIdentity(this);
}

/// <summary>The caller of an endpoint behind <c>RequireAuthorization()</c>, read from <see cref="HttpContext.User"/>.</summary>
public static class CallerPrincipal
{
    /// <summary>The signed-in user's registry record; throws on a route that did not require authorization.</summary>
    public static UserRecord Caller(this ClaimsPrincipal principal) =>
        principal.Identities.OfType<CallerIdentity>().FirstOrDefault()?.User
        ?? throw new InvalidOperationException("No signed-in caller on this request; is the route behind RequireAuthorization()?");

    public static string CallerName(this ClaimsPrincipal principal) => principal.Caller().Name;
}
