using Patchwire.Agent.Policy;

namespace Patchwire.Agent.Chat;

/// <summary>POST /chat and sessions (issue: chat).</summary>
public static class ChatModule
{
    public static IServiceCollection AddPatchwireChat(this IServiceCollection services)
    {
        services.AddSingleton(_ => ChatOptions.FromEnvironment());
        services.AddSingleton<ChatSessionStore>();
        return services;
    }

    public static IEndpointRouteBuilder MapPatchwireChat(this IEndpointRouteBuilder app)
    {
        // The policy's 403 bodies are upstream's own; the endpoint's errors gain upstream's ok/code.
        app.MapPost("/chat", ChatEndpoint.HandleAsync).RequireUserPolicyForBodyProject().AddEndpointFilter(ChatErrorBodies.Filter);
        app.MapSessionEndpoints();
        return app;
    }
}
