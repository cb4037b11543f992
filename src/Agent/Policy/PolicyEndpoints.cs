using System.Text.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Patchwire.Agent.Http;
using Patchwire.Agent.Identity;
using Patchwire.Core.Protocol;

namespace Patchwire.Agent.Policy;

/// <summary>Where the policy plugs in: one endpoint filter on /ask, /chat and /sync, run first after authentication.</summary>
public static class PolicyEndpoints
{
    public static IServiceCollection AddPatchwirePolicy(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<RateLimiter>();
        services.AddSingleton<BudgetLedger>();
        services.AddSingleton<PolicyGate>();
        return services;
    }

    /// <summary>The project comes from the route value <c>{project}</c>.</summary>
    public static RouteHandlerBuilder RequireUserPolicyForRouteProject(this RouteHandlerBuilder endpoint, bool counts = true) =>
        endpoint.AddEndpointFilter(async (filter, next) =>
        {
            var context = filter.HttpContext;
            var project = context.Request.RouteValues.TryGetValue("project", out var value) ? value as string : null;
            return Refusal(context, project, counts, spends: false) ?? await next(filter);
        });

    /// <summary>
    /// The project comes from the JSON body's <c>project</c> (or upstream's <c>projectName</c>). The body is read into
    /// memory (never to disk: it holds the prompt) and handed on unchanged; a body that cannot be read is left to the
    /// endpoint to refuse, after the rate limit.
    /// </summary>
    public static RouteHandlerBuilder RequireUserPolicyForBodyProject(this RouteHandlerBuilder endpoint) =>
        endpoint.AddEndpointFilter(async (filter, next) =>
        {
            var context = filter.HttpContext;
            var caller = context.User.Caller();
            if (caller.Policy is null) return await next(filter);
            var buffer = new MemoryStream();
            try { await context.Request.Body.CopyToAsync(buffer, context.RequestAborted); }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return ApiErrors.TooLarge(new ApiError(HttpErrors.RequestBodyTooLarge));
            }
            buffer.Position = 0;
            context.Request.Body = buffer;
            var project = ReadProject(buffer);
            buffer.Position = 0;
            return Refusal(context, project, counts: true, spends: true) ?? await next(filter);
        });

    private static IResult? Refusal(HttpContext context, string? project, bool counts, bool spends) =>
        context.RequestServices.GetRequiredService<PolicyGate>().Check(context.User.Caller(), project, counts, spends);

    private static string? ReadProject(MemoryStream body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body.GetBuffer().AsMemory(0, (int)body.Length));
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return null;
            foreach (var field in new[] { "project", "projectName" })
                if (doc.RootElement.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String)
                    return value.GetString();
            return null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException) { return null; } // not JSON, or not valid text: the endpoint answers 400
    }
}
