using Patchwire.PowerShell.Cli;
using Patchwire.PowerShell.Common;

namespace Patchwire.PowerShell.Setup;

[CliVerb(CliVerbAttribute.Laptop, "setup", "save your token and agent URL to ~/.patchwire/env")]
public sealed class SetupCliVerb : ICliVerb, ICliVerbOptions
{
    public string Usage => "usage: patchwire setup (--token pw_... | --token-stdin) [--agent-url URL] [--user NAME] [--force]\n" +
                           "       patchwire setup --agent-url URL        (keeps the token already saved)\n" +
                           "  Checks the token with the agent (GET /me) and writes PW_TOKEN, PW_USER and PW_AGENT_URL to $PW_HOME/env (owner-only).\n" +
                           "  A rejected token or an agent that cannot be reached saves nothing unless --force.\n" +
                           "  --token-stdin  read the token from standard input (its first line: a pipe in PowerShell or the shell, or a\n" +
                           "                 redirected file), or ask for it without echo in a terminal, so it never sits in the history:\n" +
                           "                 Get-Content token.txt | patchwire setup --token-stdin";
    public IEnumerable<string> ValueOptions => new[] { "--token", "--agent-url", "--user" };
    public IEnumerable<string> Flags => new[] { "--force", "--token-stdin" };

    public int Run(CliContext context, CliArgs args)
    {
        if (args.Help) { context.Out(Usage); return 0; }
        if (args.Positionals.Count > 0) throw new CliUsageException($"unexpected argument '{args.Positionals[0]}'");
        var token = args.Option("--token");
        if (args.Flag("--token-stdin"))
        {
            if (token is not null) throw new CliUsageException("--token and --token-stdin exclude each other");
            token = ReadToken(context);
        }
        if (token is null && args.Option("--agent-url") is null) throw new CliUsageException("give --token (or --token-stdin), --agent-url or both");
        SetupPlan plan;
        try
        {
            plan = context.Run(cancel => LaptopSetup.PlanAsync(token, args.Option("--agent-url"), args.Option("--user"), TimeSpan.FromSeconds(10), cancel));
        }
        catch (ArgumentException ex) { throw new CliFailure(ex.Message); }
        if (plan.Check is TokenCheck.Rejected or TokenCheck.Disabled or TokenCheck.AgentUnreachable)
        {
            if (!args.Flag("--force")) throw new CliFailure(plan.CheckMessage + " Nothing was saved (use --force to save it anyway).");
            plan.Warnings.Add(plan.CheckMessage + " Saved anyway because of --force.");
        }
        try { LaptopSetup.Save(plan); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { throw new CliFailure($"cannot write {plan.EnvFile}: {ex.Message}"); }
        foreach (var warning in plan.Warnings) context.Warn(warning);
        var who = plan.User is null ? "PW_TOKEN" : $"PW_TOKEN + PW_USER ({plan.User})";
        context.Out($"Wrote {who} and PW_AGENT_URL ({plan.AgentUrl}) to {plan.EnvFile}");
        if (plan.AgentCertificate is { } certificate) context.Out($"Agent certificate: {certificate}");
        return 0;
    }

    /// <summary>The first non-empty line piped in (PowerShell) or on redirected standard input; else typed at a prompt that does not echo it.</summary>
    private static string ReadToken(CliContext context)
    {
        string? line;
        if (context.PipelineInput.Count > 0)
        {
            line = context.PipelineInput.SelectMany(l => l.Split('\n')).FirstOrDefault(l => l.Trim().Length > 0);
        }
        else if (Console.IsInputRedirected)
        {
            do line = Console.In.ReadLine();
            while (line is not null && line.Trim().Length == 0);
        }
        else if (context.Interactive)
        {
            context.Cmdlet.Host.UI.Write("Token (not shown): ");
            line = new System.Net.NetworkCredential("", context.Cmdlet.Host.UI.ReadLineAsSecureString()).Password;
        }
        else
        {
            throw new CliFailure("--token-stdin: nothing was piped in and there is no terminal to type the token in");
        }
        if (line is null || line.Trim().Length == 0) throw new CliFailure("--token-stdin: standard input held no token (it was empty)");
        return line.Trim();
    }
}
