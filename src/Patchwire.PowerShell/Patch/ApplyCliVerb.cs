using Patchwire.PowerShell.Cli;
using Patchwire.PowerShell.Client;

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
        string Resolve(string p) => context.Cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(p);
        string root;
        try { root = args.Option("--path") is { } project ? Resolve(project) : ClientSettingsLoader.Load(Resolve(".")).ProjectRoot; }
        catch (ClientConfigurationException ex) { throw new CliFailure(ex.Message); }
        if (!Directory.Exists(root)) throw new CliFailure($"the project folder {root} does not exist");
        var source = args.Positionals.Count == 1 ? Resolve(args.Positionals[0]) : PatchApplier.LastPatchPath(root);
        if (!File.Exists(source))
            throw new CliFailure(args.Positionals.Count == 1 ? $"the patch file {source} does not exist"
                : $"there is no saved patch at {source}; 'patchwire ask --save-only' saves one there, or name a patch file");
        var diff = File.ReadAllText(source);
        var include = args.Option("--include")?.Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries).Select(s => s.Trim()).ToArray();
        var patch = PatchSelection.Select(diff, include, out var chosen);
        if (chosen.Count == 0)
            throw new CliFailure(include is { Length: > 0 } ? "--include matched none of the files in the patch; nothing applied" : $"{source} holds no git diff; nothing applied");
        try
        {
            PrintApplied(context, PatchApplier.Apply(root, patch, saveOnFailure: false));
            return 0;
        }
        catch (PatchApplyException ex)
        {
            throw new CliFailure($"{ex.Message} The patch is still in {source}. Stash or commit your local edits (git stash), run 'patchwire apply' again, then 'git stash pop'; or run 'git apply --3way \"{source}\"' and resolve the conflict markers by hand.");
        }
    }

    internal static void PrintApplied(CliContext context, PatchwireApplyResult applied)
    {
        var how = applied.Method == PatchApplyMethod.ThreeWay ? " with a 3-way merge (your tree changed since the sync)" : "";
        context.Out($"Applied {applied.Files.Length} file{(applied.Files.Length == 1 ? "" : "s")} (+{applied.LinesAdded} -{applied.LinesRemoved}){how}:");
        foreach (var f in applied.Files) context.Out($"  {StatusLetter(f.Status)} {f.Path}");
    }

    /// <summary>A changed file as ask and chat list it: "  M src/app.txt  (+3 -1)".</summary>
    internal static string FileLine(PatchwireFileChange f) =>
        $"  {StatusLetter(f.Status)} {f.Path}  (+{f.LinesAdded} -{f.LinesRemoved}){(f.Binary ? " binary" : "")}";

    internal static string StatusLetter(FileChangeStatus status) => status switch
    {
        FileChangeStatus.Added => "A",
        FileChangeStatus.Deleted => "D",
        FileChangeStatus.Renamed => "R",
        FileChangeStatus.Copied => "C",
        _ => "M",
    };
}
