using Patchwire.Agent.Http;

namespace Patchwire.Agent.Identity;

/// <summary>Every route but GET /health needs "Authorization: Bearer TOKEN": 401 unknown or missing, 403 disabled.</summary>
public sealed class BearerAuthMiddleware(RequestDelegate next, UserDirectory users, LastSeenTracker lastSeen)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (HttpMethods.IsGet(context.Request.Method) && context.Request.Path.Equals("/health", StringComparison.OrdinalIgnoreCase))
        {
            await next(context);
            return;
        }
        var (outcome, user) = users.Authenticate(ReadBearer(context.Request));
        switch (outcome)
        {
            case AuthOutcome.Unauthorized:
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await JsonErrors.WriteAsync(context, StatusCodes.Status401Unauthorized, "unauthorized");
                return;
            case AuthOutcome.Disabled:
                await JsonErrors.WriteAsync(context, StatusCodes.Status403Forbidden, "user disabled");
                return;
        }
        lastSeen.Seen(user!.Name);
        context.SetCaller(new Caller(user));
        await next(context);
    }

    private static string? ReadBearer(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (header.Length <= scheme.Length || !header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return null;
        return header.Substring(scheme.Length).Trim();
    }
}
