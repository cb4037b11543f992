using Patchwire.PowerShell.Cli;
using Patchwire.PowerShell.Client;

namespace Patchwire.PowerShell.Patch;

[CliVerb(CliVerbAttribute.Laptop, "apply", "apply a saved patch (default .patchwire/last.patch)")]
public sealed class ApplyCliVerb : ICliVerb, ICliVerbOptions
{
    public string Usage => "usage: patchwire apply [PATCH] [--include PATTERN[,PATTERN...]] [--path PROJECT_DIR] [--json]\n" +
                           "  Applies PATCH (default .patchwire/last.patch; every run's patch is under .patchwire/patches/) all or nothing,\n" +
                           "  with a 3-way merge when your tree moved; a patch already applied is reported and changes nothing.\n" +
                           "  --json  one JSON document {projectRoot, patch, method, files, linesAdded, linesRemoved}, nothing else";
    public IEnumerable<string> ValueOptions => new[] { "--include", "--path" };
    public IEnumerable<string> Flags => new[] { "--json" };

    public int Run(CliContext context, CliArgs args)
    {
        if (args.Help) { context.Out(Usage); return 0; }
        if (args.Positionals.Count > 1) throw new CliUsageException("give at most one patch file");
        var root = args.Option("--path") is { } project ? context.ResolvePath(project) : ClientSettingsLoader.Load(context.ResolvePath(".")).ProjectRoot;
        var include = args.Option("--include")?.Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries).Select(s => s.Trim()).ToArray();
        var file = PatchFile.Read(root, args.Positionals.Count == 1 ? context.ResolvePath(args.Positionals[0]) : null);
        var patch = PatchSelection.Select(file.Diff, include, out var chosen);
        if (chosen.Count == 0)
            throw new CliFailure(include is { Length: > 0 } ? "--include matched none of the files in the patch; nothing applied" : $"{file.Source} holds no git diff; nothing applied");
        var applied = PatchFile.Apply(file, patch);
        if (args.Flag("--json")) CliJson.Write(context, CliJson.Applied(applied, file.Source));
        else ChangeText.PrintApplied(context, applied);
        return 0;
    }
}
