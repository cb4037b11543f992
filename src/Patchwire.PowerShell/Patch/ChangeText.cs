using System.Globalization;
using Patchwire.PowerShell.Cli;

namespace Patchwire.PowerShell.Patch;

/// <summary>How the 'ask', 'chat' and 'apply' verbs print changes: file lines, the coloured diff, what was applied or kept.</summary>
internal static class ChangeText
{
    /// <summary>A changed file: "  M src/app.txt  (+3 -1)".</summary>
    public static string FileLine(PatchwireFileChange f) =>
        $"  {StatusLetter(f.Status)} {(f.OldPath is { } old ? old + " -> " : "")}{f.Path}  (+{f.LinesAdded} -{f.LinesRemoved}){(f.Binary ? " binary" : "")}";

    public static string StatusLetter(FileChangeStatus status) => status switch
    {
        FileChangeStatus.Added => "A",
        FileChangeStatus.Deleted => "D",
        FileChangeStatus.Renamed => "R",
        FileChangeStatus.Copied => "C",
        _ => "M",
    };

    public static string Summary(IReadOnlyCollection<PatchwireFileChange> files) =>
        $"{files.Count} file{(files.Count == 1 ? "" : "s")} changed (+{files.Sum(f => f.LinesAdded)} -{files.Sum(f => f.LinesRemoved)})";

    public static void PrintApplied(CliContext context, PatchwireApplyResult applied)
    {
        var count = $"{applied.Files.Length} file{(applied.Files.Length == 1 ? "" : "s")}";
        if (applied.Method == PatchApplyMethod.AlreadyApplied)
        {
            context.Out($"Already applied: {count} of the patch are already in {applied.ProjectRoot}; nothing changed.");
            return;
        }
        var how = applied.Method == PatchApplyMethod.ThreeWay ? " with a 3-way merge (your tree changed since the sync)" : "";
        context.Out($"Applied {count} (+{applied.LinesAdded} -{applied.LinesRemoved}){how}:");
        foreach (var f in applied.Files) context.Out($"  {StatusLetter(f.Status)} {f.Path}");
    }

    public static void PrintSaved(CliContext context, string what, string path) =>
        context.Out($"{what} to {path}. Apply it later with 'patchwire apply' (or Invoke-PatchwirePatch).");

    /// <summary>The diff with git's colours: + green, - red, @@ cyan, headers white.</summary>
    public static void Preview(CliContext context, string diff)
    {
        foreach (var raw in diff.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("+++", StringComparison.Ordinal) || line.StartsWith("---", StringComparison.Ordinal) || line.StartsWith("diff --git", StringComparison.Ordinal))
                context.Colored(line, ConsoleColor.White);
            else if (line.StartsWith("+", StringComparison.Ordinal)) context.Colored(line, ConsoleColor.Green);
            else if (line.StartsWith("-", StringComparison.Ordinal)) context.Colored(line, ConsoleColor.Red);
            else if (line.StartsWith("@@", StringComparison.Ordinal)) context.Colored(line, ConsoleColor.Cyan);
            else context.Info(line);
        }
    }

    public static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";

    /// <summary>
    /// The interactive review of a result: [a]pply all / [c]hoose files / [s]ave / [r]eject. Returns when it was
    /// applied, saved or rejected; end of input saves. Applying may throw <see cref="PatchApplyException"/> (saved).
    /// </summary>
    public static void Review(CliContext context, IPatchwireChanges result, string question, string[]? include)
    {
        while (true)
        {
            string? answer;
            try { answer = context.ReadLine(question); }
            catch (System.Management.Automation.PipelineStoppedException)
            {
                ApplyStep.Save(result);
                throw;
            }
            switch (answer?.Trim().ToLowerInvariant())
            {
                case null: PrintSaved(context, "Saved the diff", ApplyStep.Save(result)); return;
                case "a": case "apply": ApplyChosen(context, result, include); return;
                case "s": case "save": PrintSaved(context, "Saved the diff", ApplyStep.Save(result)); return;
                case "r": case "reject":
                    context.Out("Rejected; nothing applied or saved.");
                    return;
                case "c": case "choose":
                    var chosen = new List<string>();
                    foreach (var f in result.Files)
                    {
                        var yn = context.ReadLine($"  {StatusLetter(f.Status)} {f.Path} (+{f.LinesAdded} -{f.LinesRemoved}) — apply? [y/N] ");
                        if (yn?.Trim().StartsWith("y", StringComparison.OrdinalIgnoreCase) == true) chosen.Add(f.Path);
                    }
                    if (chosen.Count == 0) { PrintSaved(context, "No file chosen; saved the diff", ApplyStep.Save(result)); return; }
                    PrintSaved(context, "Saved the whole diff", ApplyStep.Save(result));
                    ApplyChosen(context, result, chosen.Select(System.Management.Automation.WildcardPattern.Escape).ToArray());
                    return;
            }
        }
    }

    /// <summary>Applies the files <paramref name="include"/> chooses (all without it) and prints what happened.</summary>
    /// <exception cref="PatchApplyException">Nothing was changed; the patch is saved and the message says where.</exception>
    public static void ApplyChosen(CliContext context, IPatchwireChanges result, string[]? include)
    {
        var patch = PatchSelection.Select(result.Patch, include, out var chosen);
        if (chosen.Count == 0)
        {
            ApplyStep.Save(result);
            throw new CliFailure($"--include matched none of the changed files; nothing applied. The diff is saved to {result.SavedPatch}.");
        }
        PrintApplied(context, ApplyStep.Apply(result, patch));
    }
}
