using Patchwire.Agent.Policy;

namespace Patchwire.Agent.Chat;

/// <summary>POST /chat and sessions (issue: chat).</summary>
public static class ChatModule
{
    public static IServiceCollection AddPatchwireChat(this IServiceCollection services)
    {
        services.AddSingleton<ChatSessionStore>();
        services.AddSingleton<ChatEndpoint>();
        return services;
    }

    public static IEndpointRouteBuilder MapPatchwireChat(this IEndpointRouteBuilder app)
    {
        app.MapPost("/chat", (HttpContext context, ChatEndpoint chat) => chat.HandleAsync(context)).RequireUserPolicyForBodyProject();
        app.MapSessionEndpoints();
        return app;
    }

    /// <summary>Runs before the port opens: reads the sessions, failing turns a crash cut short.</summary>
    public static void PreparePatchwireChat(this WebApplication app)
    {
        var line = app.Services.GetRequiredService<ChatSessionStore>().Load();
        if (line is not null) Console.WriteLine(line);
    }
}
