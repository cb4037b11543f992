using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Patchwire.Agent.Audit;
using Patchwire.Agent.Chat;
using Patchwire.Agent.Checkouts;
using Patchwire.Agent.Configuration;
using Patchwire.Agent.DetachedRuns;
using Patchwire.Agent.Health;
using Patchwire.Agent.Hosting;
using Patchwire.Agent.Identity;
using Patchwire.Agent.Metrics;
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
        builder.Logging.AddFilter(typeof(BearerTokenHandler).FullName, LogLevel.Warning); // not a line per refused request
        // A start failure reaches AgentCommandLine, which prints it as one line (or, unexpected, crashes with it):
        // the host's own "Hosting failed to start" copy with its stack trace would only repeat it. The host's
        // Critical lines (a background service stopping the agent) still show.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        // Kestrel waits this long for running requests when the agent stops: the grace, then time to kill and restore.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.StopGrace + GracefulStop.RestoreAllowance);

        // Read before anything else starts: a bad certificate stops the start with one line naming the variable.
        var certificate = options.UsesTls ? TlsCertificate.Load(options.TlsCertFile!, options.TlsKeyFile!) : null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes;
            ConnectionLimits.Apply(kestrel, options);
            Action<Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions> listen = l =>
            {
                ConnectionLimits.PerClient(l, options.MaxConnectionsPerClient);
                if (certificate is not null) l.UseHttps(certificate);
            };
            if (IPAddress.TryParse(options.Host.Trim('[', ']'), out var ip)) kestrel.Listen(ip, options.Port, listen);
            else if (string.Equals(options.Host, "localhost", StringComparison.OrdinalIgnoreCase)) kestrel.ListenLocalhost(options.Port, listen);
            else kestrel.ListenAnyIP(options.Port, listen);
        });
        if (certificate is not null) builder.Services.AddSingleton(new ServingCertificate(certificate));

        ServiceHosting.Add(builder.Services);
        builder.Services.AddSingleton(options);
        // Protocol types (GET /sync, /queue, /runs answers) through Core's source-generated metadata; the rest by reflection.
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, Patchwire.Core.Protocol.ProtocolJsonContext.Default));
        builder.Services.AddSingleton<StartupNotices>();
        builder.Services.AddSingleton<GracefulStop>();
        builder.Services.AddHostedService<AgentStartup>(); // before the port opens: see AgentStartup
        builder.Services.AddPatchwireIdentity();
        builder.Services.AddSingleton<ProjectPaths>();
        builder.Services.AddSingleton<CheckoutLocks>();
        builder.Services.AddPatchwirePolicy();
        builder.Services.AddPatchwireUsage();
        builder.Services.AddPatchwireAudit();
        builder.Services.AddPatchwireRuns();
        builder.Services.AddPatchwireSync();
        builder.Services.AddPatchwireChat();
        builder.Services.AddPatchwireDetachedRuns();
        builder.Services.AddPatchwireMetrics();

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapGroup("").AllowAnonymous().MapHealthEndpoints();
        app.MapPatchwireMetrics(); // its own policy: a caller's token over loopback

        // Every other route needs a signed-in, enabled user (IdentityModule.CallerPolicy, also the fallback policy, so
        // a route mapped anywhere else needs it too). Checks that must run after authentication and before any
        // endpoint (per-user policy) belong on this group: callers.AddEndpointFilter(...).
        var callers = app.MapGroup("").RequireAuthorization(IdentityModule.CallerPolicy);
        callers.MapIdentityEndpoints();
        callers.MapPatchwireRuns();
        callers.MapPatchwireSync();
        callers.MapPatchwireChat();
        callers.MapPatchwireDetachedRuns();
        return app;
    }

    public static string ListeningUrl(WebApplication app, AgentOptions options)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        var port = address is not null && Uri.TryCreate(address.Replace("[::]", "localhost").Replace("*", "localhost").Replace("+", "localhost"), UriKind.Absolute, out var uri)
            ? uri.Port
            : options.Port;
        var host = options.Host.Contains(':') && !options.Host.StartsWith("[", StringComparison.Ordinal) ? $"[{options.Host}]" : options.Host;
        return $"{(options.UsesTls ? "https" : "http")}://{host}:{port}";
    }
}

/// <summary>The certificate the agent serves https with (registered only when PW_TLS_CERT is set).</summary>
public sealed record ServingCertificate(System.Security.Cryptography.X509Certificates.X509Certificate2 Certificate);
