using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Patchwire.Agent.Http;
using Patchwire.Core.Protocol;

namespace Patchwire.Agent.Identity;

/// <summary>
/// The "Bearer" scheme: "Authorization: Bearer TOKEN" resolved through <see cref="UserDirectory"/> (users.json,
/// re-read when it changes). A known token signs the request in as its user, disabled or not: whether a disabled
/// user may go on is the authorization policy's call (<see cref="ActiveUserRequirement"/>, 403). A missing,
/// malformed or unknown token leaves the request anonymous, and the challenge answers 401 {"error":"unauthorized"}.
/// </summary>
public sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    UserDirectory users)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string Scheme = "Bearer";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = ReadBearer(Request);
        if (token is null) return Task.FromResult(AuthenticateResult.NoResult());
        var user = users.Find(token);
        if (user is null) return Task.FromResult(AuthenticateResult.Fail("unknown token"));
        var principal = new System.Security.Claims.ClaimsPrincipal(new CallerIdentity(user, Scheme));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = Scheme;
        await ApiErrors.Unauthorized().ExecuteAsync(Context);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ApiErrors.Forbidden(HttpErrors.Forbidden).ExecuteAsync(Context);

    /// <summary>The token of "Bearer TOKEN" (scheme name in any case), or null when the header is missing or has another form.</summary>
    public static string? ReadBearer(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string prefix = Scheme + " ";
        if (header.Length <= prefix.Length || !header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return null;
        var token = header.Substring(prefix.Length).Trim();
        return token.Length == 0 ? null : token;
    }
}
