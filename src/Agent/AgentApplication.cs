using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Patchwire.Agent.Audit;
using Patchwire.Agent.Chat;
using Patchwire.Agent.Checkouts;
using Patchwire.Agent.Configuration;
using Patchwire.Agent.DetachedRuns;
using Patchwire.Agent.Health;
using Patchwire.Agent.Identity;
using Patchwire.Agent.Policy;
using Patchwire.Agent.Runs;
using Patchwire.Agent.Sync;
using Patchwire.Agent.Usage;

namespace Patchwire.Agent;

/// <summary>Wires the services and routes. Each concern registers itself through its own Add*/Map* pair.</summary>
public static class AgentApplication
{
    public static WebApplication Build(AgentOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = Array.Empty<string>() });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Patchwire", LogLevel.Information);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(15));

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes;
            if (IPAddress.TryParse(options.Host, out var ip)) kestrel.Listen(ip, options.Port);
            else if (string.Equals(options.Host, "localhost", StringComparison.OrdinalIgnoreCase)) kestrel.ListenLocalhost(options.Port);
            else kestrel.ListenAnyIP(options.Port);
        });

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<UserDirectory>();
        builder.Services.AddSingleton<LastSeenTracker>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LastSeenTracker>());
        builder.Services.AddSingleton<ProjectPaths>();
        builder.Services.AddSingleton<CheckoutLocks>();
        builder.Services.AddPatchwirePolicy();
        builder.Services.AddPatchwireUsage();
        builder.Services.AddPatchwireAudit();
        builder.Services.AddPatchwireRuns();
        builder.Services.AddPatchwireSync();
        builder.Services.AddPatchwireChat();
        builder.Services.AddPatchwireDetachedRuns();

        var app = builder.Build();
        app.UseMiddleware<BearerAuthMiddleware>();
        app.MapHealthEndpoints();
        app.MapIdentityEndpoints();
        app.MapPatchwireRuns();
        app.MapPatchwireSync();
        app.MapPatchwireChat();
        app.MapPatchwireDetachedRuns();
        return app;
    }

    /// <summary>Start-up work that must finish before the port opens: registry check, migration, crash recovery.</summary>
    public static void PrepareState(WebApplication app)
    {
        var options = app.Services.GetRequiredService<AgentOptions>();
        var users = app.Services.GetRequiredService<UserDirectory>();
        Directory.CreateDirectory(options.Home);
        foreach (var line in UpstreamRegistryImport.Run(users.Registry)) Console.WriteLine(line);
        users.LoadNow(); // an unreadable registry stops the start here, before anything is written
        app.PreparePatchwireUsage();
        var migrated = LegacyTokenMigration.Run(options, users.Registry);
        if (migrated is not null) Console.WriteLine(migrated);
        Directory.CreateDirectory(options.ProjectsRoot);
        StatePermissions.Restrict(options);
        app.PreparePatchwireRuns();
        app.PreparePatchwireChat();
        app.PreparePatchwireDetachedRuns();
    }

    public static string ListeningUrl(WebApplication app, AgentOptions options)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        var port = address is not null && Uri.TryCreate(address.Replace("[::]", "localhost").Replace("*", "localhost").Replace("+", "localhost"), UriKind.Absolute, out var uri)
            ? uri.Port
            : options.Port;
        var host = options.Host.Contains(':') && !options.Host.StartsWith("[", StringComparison.Ordinal) ? $"[{options.Host}]" : options.Host;
        return $"http://{host}:{port}";
    }
}
