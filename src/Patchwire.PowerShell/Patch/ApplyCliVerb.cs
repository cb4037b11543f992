using System.Management.Automation;
using Patchwire.PowerShell.Cli;

namespace Patchwire.PowerShell.Patch;

[CliVerb(CliVerbAttribute.Laptop, "apply", "apply a saved patch (default .patchwire/last.patch)")]
public sealed class ApplyCliVerb : ICliVerb, ICliVerbOptions
{
    public string Usage => "usage: patchwire apply [PATCH] [--include PATTERN[,PATTERN...]] [--path PROJECT_DIR]\n" +
                           "  Applies PATCH (default .patchwire/last.patch) all or nothing, with a 3-way merge when your tree moved.";
    public IEnumerable<string> ValueOptions => new[] { "--include", "--path" };
    public IEnumerable<string> Flags => Array.Empty<string>();

    public int Run(CliContext context, CliArgs args)
    {
        if (args.Help) { context.Out(Usage); return 0; }
        if (args.Positionals.Count > 1) throw new CliUsageException("give at most one patch file");
        using var ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
        ps.AddCommand("Invoke-PatchwirePatch");
        if (args.Positionals.Count == 1) ps.AddParameter("Path", args.Positionals[0]);
        if (args.Option("--path") is { } project) ps.AddParameter("ProjectPath", project);
        if (args.Option("--include") is { } include)
            ps.AddParameter("Include", include.Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries).Select(s => s.Trim()).ToArray());
        System.Collections.ObjectModel.Collection<PSObject> output;
        try { output = ps.Invoke(); }
        catch (RuntimeException ex) { throw new CliFailure(ex.Message); }
        foreach (var warning in ps.Streams.Warning) context.Warn(warning.Message);
        if (ps.Streams.Error.Count > 0)
            throw new CliFailure(ps.Streams.Error[0].ErrorDetails?.Message ?? ps.Streams.Error[0].ToString());
        if (output.FirstOrDefault()?.BaseObject is PatchwireApplyResult applied)
            PrintApplied(context, applied);
        return 0;
    }

    internal static void PrintApplied(CliContext context, PatchwireApplyResult applied)
    {
        var how = applied.Method == PatchApplyMethod.ThreeWay ? " with a 3-way merge (your tree changed since the sync)" : "";
        context.Out($"Applied {applied.Files.Length} file{(applied.Files.Length == 1 ? "" : "s")} (+{applied.LinesAdded} -{applied.LinesRemoved}){how}:");
        foreach (var f in applied.Files) context.Out($"  {StatusLetter(f.Status)} {f.Path}");
    }

    internal static string StatusLetter(FileChangeStatus status) => status switch
    {
        FileChangeStatus.Added => "A",
        FileChangeStatus.Deleted => "D",
        FileChangeStatus.Renamed => "R",
        FileChangeStatus.Copied => "C",
        _ => "M",
    };
}
