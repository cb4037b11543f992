using Patchwire.PowerShell.Cli;
using Patchwire.PowerShell.Common;

namespace Patchwire.PowerShell.Doctor;

[CliVerb(CliVerbAttribute.Laptop, "doctor", "check git, configuration, agent, token and project (PASS/FAIL)")]
public sealed class DoctorCliVerb : ICliVerb, ICliVerbOptions
{
    public string Usage => "usage: patchwire doctor [--path PROJECT_DIR]\n  One PASS/FAIL line per check; exit code 1 when any check fails.";
    public IEnumerable<string> ValueOptions => new[] { "--path" };
    public IEnumerable<string> Flags => Array.Empty<string>();

    public int Run(CliContext context, CliArgs args)
    {
        if (args.Help) { context.Out(Usage); return 0; }
        if (args.Positionals.Count > 0) throw new CliUsageException($"unexpected argument '{args.Positionals[0]}'");
        var folder = context.ResolvePath(args.Option("--path") ?? ".");
        var checks = context.Run(token => ConnectionDoctor.RunAsync(folder, TimeSpan.FromSeconds(10), token));
        foreach (var check in checks)
            context.Out($"{(check.Passed ? "PASS" : "FAIL")}  {check.Check,-13} {check.Message}");
        var failed = checks.Count(c => !c.Passed);
        if (failed == 0) return 0;
        throw new CliFailure($"{failed} check{(failed == 1 ? "" : "s")} failed.");
    }
}
