using Patchwire.Agent.Configuration;
using Patchwire.Agent.Hosting;
using Patchwire.Core.Identity;

namespace Patchwire.Agent;

/// <summary>The executable's verbs. Only "serve" lives here; user and log administration are PowerShell cmdlets.</summary>
public static class AgentCommandLine
{
    public static async Task<int> RunAsync(string[] args)
    {
        var verb = args.Length == 0 ? "serve" : args[0];
        switch (verb)
        {
            case "serve":
                return await ServeAsync(args.Skip(1).ToArray());
            case "--version":
            case "version":
                Console.WriteLine($"patchwire-agent {Health.HealthEndpoints.Version}");
                return 0;
            case "--help":
            case "-h":
            case "help":
                Console.WriteLine("usage: patchwire-agent serve\n\nStarts the agent in the foreground. Settings come from PW_* environment variables (see README.md).");
                return 0;
            default:
                Console.Error.WriteLine($"patchwire-agent: unknown verb '{verb}'. Use 'patchwire-agent serve'.");
                return 2;
        }
    }

    private static async Task<int> ServeAsync(string[] args)
    {
        if (args.Length > 0)
        {
            Console.Error.WriteLine($"patchwire-agent: 'serve' takes no arguments (got '{args[0]}'); use PW_* environment variables.");
            return 2;
        }
        WebApplication app;
        AgentOptions? options = null;
        Sandbox.AiSandbox sandbox;
        StatePermissions.RestrictUmask();
        try
        {
            options = AgentOptions.FromEnvironment();
            foreach (var folderWarning in StateFolderCheck.Run(options)) Console.Error.WriteLine($"patchwire-agent: {folderWarning}");
            app = AgentApplication.Build(options);
            // Decided before anything else: with PW_SANDBOX=bwrap and no bubblewrap the agent must not start at all.
            sandbox = app.Services.GetRequiredService<Sandbox.AiSandbox>();
            if (sandbox.StartWarning is { } warning) Console.Error.WriteLine(warning);
            await app.StartAsync(); // runs Hosting.AgentStartup (registry, migration, recovery, sessions) before the port opens
        }
        catch (Exception ex) when (ex is ConfigurationException or RegistryException)
        {
            Console.Error.WriteLine($"patchwire-agent: {ex.Message}");
            return 2;
        }
        catch (Exception ex) when (options is not null)
        {
            Console.Error.WriteLine($"patchwire-agent: {StartFailure(ex, options)}");
            return 2;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"patchwire-agent: {ex.Message}");
            return 2;
        }

        Console.WriteLine($"patchwire-agent listening on {AgentApplication.ListeningUrl(app, options)}");
        Console.WriteLine($"caps: {options.MaxConcurrentTotal} total, {options.MaxConcurrentPerUser} per user; audit: {options.AuditLog}; {sandbox.Banner}");
        Console.WriteLine(AiCommandLine(options));
        if (StdinShutdown.Requested) StdinShutdown.Start(app.Lifetime);
        Console.Out.Flush();
        await app.WaitForShutdownAsync();
        return 0;
    }

    /// <summary>One line for a start that failed after the settings were read: never a stack trace.</summary>
    private static string StartFailure(Exception ex, AgentOptions options)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is Microsoft.AspNetCore.Connections.AddressInUseException)
                return $"port {options.Port} on {options.Host} is already in use (another agent still running?). " +
                       "Stop that process, or choose another port with PW_AGENT_PORT (Start-PatchwireAgent -Port).";
            if (e is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressNotAvailable })
                return $"cannot listen on {options.Host}: no network interface of this machine has that address. Set PW_AGENT_HOST to one of its addresses, or 0.0.0.0 for all.";
            if (e is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AccessDenied })
                return $"not allowed to listen on port {options.Port} (ports below 1024 need privileges). Choose another port with PW_AGENT_PORT.";
        }
        var inner = ex;
        while (inner.InnerException is not null && inner is AggregateException) inner = inner.InnerException;
        if (inner is IOException or UnauthorizedAccessException) return inner.Message.ReplaceLineEndings(" ");
        return $"could not start: {inner.Message.ReplaceLineEndings(" ")}";
    }

    /// <summary>The banner's AI line: which command runs, and whether this box can find it.</summary>
    private static string AiCommandLine(AgentOptions options)
    {
        var command = string.Join(" ", new[] { options.AiBin }.Concat(options.AiArgs));
        var resolved = Health.CommandResolver.Resolve(options.AiBin);
        return resolved is not null
            ? $"ai: {command} (found: {resolved})"
            : $"ai: {command} (NOT FOUND on PATH: every ask fails until it is installed on this box, or PW_AI_BIN names it)";
    }
}
