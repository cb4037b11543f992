using Patchwire.Agent.Configuration;
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
        AgentOptions options;
        StatePermissions.RestrictUmask();
        try
        {
            options = AgentOptions.FromEnvironment();
            app = AgentApplication.Build(options);
            await app.StartAsync(); // runs Hosting.AgentStartup (registry, migration, recovery, sessions) before the port opens
        }
        catch (Exception ex) when (ex is ConfigurationException or RegistryException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"patchwire-agent: {ex.Message}");
            return 2;
        }

        Console.WriteLine($"patchwire-agent listening on {AgentApplication.ListeningUrl(app, options)}");
        Console.WriteLine($"caps: {options.MaxConcurrentTotal} total, {options.MaxConcurrentPerUser} per user; audit: {options.AuditLog}");
        Console.Out.Flush();
        await app.WaitForShutdownAsync();
        return 0;
    }
}
