using Patchwire.PowerShell.Cli;
using Patchwire.PowerShell.Client;

namespace Patchwire.PowerShell.Identity;

[CliVerb(CliVerbAttribute.Laptop, "whoami", "show which user your token belongs to on the agent (GET /me)")]
public sealed class WhoamiCliVerb : ICliVerb, ICliVerbOptions
{
    public string Usage => "usage: patchwire whoami [--json] [--path PROJECT_DIR]\n" +
                           "  Asks the agent (GET /me) who the configured token belongs to.\n" +
                           "  --json  one JSON document {user, disabled, createdAt, lastSeen, agentUrl} on stdout, nothing else";
    public IEnumerable<string> ValueOptions => new[] { "--path" };
    public IEnumerable<string> Flags => new[] { "--json" };

    public int Run(CliContext context, CliArgs args)
    {
        if (args.Help) { context.Out(Usage); return 0; }
        if (args.Positionals.Count > 0) throw new CliUsageException($"'whoami' takes no arguments (got '{args.Positionals[0]}')");
        var settings = UserSettings.Load(context.ResolvePath(args.Option("--path") ?? "."));
        var identity = context.Run(token => IdentityClient.GetAsync(settings, token));
        if (args.Flag("--json"))
        {
            CliJson.Write(context, IdentityClient.Json(identity));
            return 0;
        }
        context.Out($"{identity.User}{(identity.Disabled ? " (disabled)" : "")} on {identity.AgentUrl}");
        return 0;
    }
}
