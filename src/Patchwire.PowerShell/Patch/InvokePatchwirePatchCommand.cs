using System.Management.Automation;
using Patchwire.PowerShell.Ask;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Help;

namespace Patchwire.PowerShell.Patch;

[Cmdlet(VerbsLifecycle.Invoke, "PatchwirePatch", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = FromFile)]
[OutputType(typeof(PatchwireApplyResult))]
[Synopsis("Applies a Patchwire diff to your working tree: a result from Invoke-PatchwireAsk or a saved patch (default .patchwire/last.patch).")]
[Description("Applies all or nothing: 'git apply --check' then 'git apply'; when your tree changed since the diff was made, a 3-way merge against the synced snapshot (your index and staged changes are never touched); if that conflicts, nothing changes and the error says what to do. -Include applies only the files matching the wildcard patterns. Returns what was applied (files, lines, Direct or ThreeWay). 'patchwire apply [PATCH]' does the same from the command line.")]
[Example("Invoke-PatchwirePatch", "Applies .patchwire/last.patch of the current project (saved by 'patchwire ask --save-only' or a failed -Apply).")]
[Example("$r = Invoke-PatchwireAsk 'split utils.py'; $r | Invoke-PatchwirePatch -Include 'src/*' -WhatIf", "Shows what applying only the files under src/ would do.")]
[Example("Invoke-PatchwirePatch -Path ./review.patch -ProjectPath ~/src/team-app -Confirm", "Applies a patch file to another project after confirmation.")]
public sealed class InvokePatchwirePatchCommand : PSCmdlet
{
    private const string FromFile = "Path";
    private const string FromResult = "InputObject";

    [Parameter(Mandatory = true, ParameterSetName = FromResult, ValueFromPipeline = true, HelpMessage = "A result of Invoke-PatchwireAsk.")]
    public PatchwireAskResult? InputObject { get; set; }

    [Parameter(Position = 0, ParameterSetName = FromFile, HelpMessage = "A patch file (default: .patchwire/last.patch in the project).")]
    public string? Path { get; set; }

    [Parameter(HelpMessage = "The project folder to apply to (default: the result's project folder, else the current project).")]
    public string? ProjectPath { get; set; }

    [Parameter(HelpMessage = "Apply only the files whose path matches one of these wildcard patterns.")]
    [SupportsWildcards]
    public string[]? Include { get; set; }

    protected override void ProcessRecord()
    {
        string root;
        string diff;
        string? source = null;
        try
        {
            root = ProjectPath is not null ? Resolve(ProjectPath)
                : InputObject is { ProjectRoot.Length: > 0 } r ? r.ProjectRoot
                : ClientSettingsLoader.Load(Resolve(".")).ProjectRoot;
        }
        catch (ClientConfigurationException ex) { ThrowTerminatingError(ClientErrors.From(ex)); return; }
        if (!Directory.Exists(root))
            ThrowTerminatingError(new ErrorRecord(new DirectoryNotFoundException($"The project folder {root} does not exist."), "Patchwire.Apply.NoProject", ErrorCategory.ObjectNotFound, root));

        if (InputObject is not null) diff = InputObject.Diff;
        else
        {
            source = Path is not null ? Resolve(Path) : PatchApplier.LastPatchPath(root);
            if (!File.Exists(source))
                ThrowTerminatingError(new ErrorRecord(new FileNotFoundException(Path is null
                        ? $"There is no saved patch at {source}. 'patchwire ask --save-only' or a failed -Apply saves one there; or name a patch file."
                        : $"The patch file {source} does not exist.", source), "Patchwire.Apply.NoPatch", ErrorCategory.ObjectNotFound, source));
            diff = File.ReadAllText(source);
            if (diff.Trim().Length > 0 && UnifiedDiff.Sections(diff).Count == 0)
                ThrowTerminatingError(new ErrorRecord(new InvalidDataException($"{source} is not a git diff (no 'diff --git' lines)."), "Patchwire.Apply.NotADiff", ErrorCategory.InvalidData, source));
        }

        var patch = PatchSelection.Select(diff, Include, out var chosen);
        if (chosen.Count == 0)
        {
            WriteWarning(Include is { Length: > 0 } ? "-Include matched none of the files in the diff; nothing applied." : "The diff is empty; nothing to apply.");
            return;
        }
        if (!ShouldProcess(root, $"Apply the diff ({PatchSelection.Describe(chosen)})")) return;
        try
        {
            // A patch read from a file stays where it is; only a result object's diff is saved on failure.
            WriteObject(PatchApplier.Apply(root, patch, saveOnFailure: source is null));
        }
        catch (PatchApplyException ex)
        {
            var error = PatchSelection.ErrorFor(ex, root);
            if (source is not null)
                error.ErrorDetails = new ErrorDetails($"{ex.Message} The patch is still in {source}. Stash or commit your local edits (git stash), apply again, then 'git stash pop'; or run 'git apply --3way \"{source}\"' and resolve the conflict markers by hand.");
            WriteError(error);
        }
        catch (InvalidOperationException ex) when (ex.Message.StartsWith("git was not found", StringComparison.Ordinal))
        {
            ThrowTerminatingError(new ErrorRecord(ex, "Patchwire.GitMissing", ErrorCategory.ObjectNotFound, "git"));
        }
    }

    private string Resolve(string path) => SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
}
