using System.Collections.ObjectModel;
using System.Management.Automation;
using Patchwire.PowerShell.Cli;

namespace Patchwire.PowerShell.Setup;

[CliVerb(CliVerbAttribute.Laptop, "setup", "save your token and agent URL to ~/.patchwire/env")]
public sealed class SetupCliVerb : ICliVerb, ICliVerbOptions
{
    public string Usage => "usage: patchwire setup --token pw_... [--agent-url URL] [--user NAME] [--force]\n" +
                           "  Checks the token with the agent (GET /me) and writes PW_TOKEN, PW_USER and PW_AGENT_URL to $PW_HOME/env (owner-only).\n" +
                           "  A rejected token is not saved unless --force; an unreachable agent saves with a warning.";
    public IEnumerable<string> ValueOptions => new[] { "--token", "--agent-url", "--user" };
    public IEnumerable<string> Flags => new[] { "--force" };

    public int Run(CliContext context, CliArgs args)
    {
        if (args.Help) { context.Out(Usage); return 0; }
        if (args.Positionals.Count > 0) throw new CliUsageException($"unexpected argument '{args.Positionals[0]}'");
        var token = args.Option("--token") ?? throw new CliUsageException("--token is required");
        using var ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
        ps.AddCommand("Set-PatchwireConfiguration").AddParameter("Token", token).AddParameter("PassThru");
        if (args.Option("--agent-url") is { } url) ps.AddParameter("AgentUrl", url);
        if (args.Option("--user") is { } user) ps.AddParameter("User", user);
        if (args.Flag("--force")) ps.AddParameter("Force");
        Collection<PSObject> output;
        try { output = ps.Invoke(); }
        catch (RuntimeException ex) { throw new CliFailure(ex.Message); }
        foreach (var warning in ps.Streams.Warning) context.Warn(warning.Message);
        if (ps.Streams.Error.Count > 0) throw new CliFailure(ps.Streams.Error[0].ToString());
        if (output.FirstOrDefault()?.BaseObject is not PatchwireConfiguration saved) throw new CliFailure("nothing was saved");
        var who = saved.User is null ? "PW_TOKEN" : $"PW_TOKEN + PW_USER ({saved.User})";
        context.Out($"Wrote {who} and PW_AGENT_URL ({saved.AgentUrl}) to {saved.EnvFile}");
        return 0;
    }
}
