using Patchwire.Agent.Policy;

namespace Patchwire.Agent.Chat;

/// <summary>POST /chat and sessions (issue: chat).</summary>
public static class ChatModule
{
    public static IServiceCollection AddPatchwireChat(this IServiceCollection services)
    {
        services.AddSingleton<ChatSessionStore>();
        return services;
    }

    public static IEndpointRouteBuilder MapPatchwireChat(this IEndpointRouteBuilder app)
    {
        app.MapPost("/chat", ChatEndpoint.HandleAsync).RequireUserPolicyForBodyProject();
        app.MapSessionEndpoints();
        return app;
    }
}
