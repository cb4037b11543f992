using System.Management.Automation;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Common;
using Patchwire.PowerShell.Help;

namespace Patchwire.PowerShell.Patch;

[Cmdlet(VerbsLifecycle.Invoke, "PatchwirePatch", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = FromFile)]
[OutputType(typeof(PatchwireApplyResult))]
[Synopsis("Applies a Patchwire diff to your working tree: a result from Invoke-PatchwireAsk or Invoke-PatchwireChat, or a saved patch (default .patchwire/last.patch).")]
[Description("Applies all or nothing: 'git apply --check' then 'git apply'; when your tree changed since the diff was made, a 3-way merge against the synced snapshot (your index and staged changes are never touched); if that conflicts, nothing changes and the error says what to do. A patch that is already applied is reported (Method AlreadyApplied) and changes nothing. -InputObject takes anything that carries changes: ask results and chat turns (their Applied property is set; a result that does not apply is saved under .patchwire/patches/). -Include applies only the files matching the wildcard patterns. Returns what was applied (files, lines, Direct, ThreeWay or AlreadyApplied). 'patchwire apply [PATCH]' does the same from the command line.")]
[Example("Invoke-PatchwirePatch", "Applies .patchwire/last.patch of the current project (saved by 'patchwire ask --save-only', or by an ask whose diff was not applied).")]
[Example("$r = Invoke-PatchwireAsk 'split utils.py'; $r | Invoke-PatchwirePatch -Include 'src/*' -WhatIf", "Shows what applying only the files under src/ would do.")]
[Example("$t = Invoke-PatchwireChat 'add tests'; $t | Invoke-PatchwirePatch; $t.Applied", "Applies a chat turn's changes; the turn records how.")]
[Example("Invoke-PatchwirePatch -Path ./review.patch -ProjectPath ~/src/team-app -Confirm", "Applies a patch file to another project after confirmation.")]
public sealed class InvokePatchwirePatchCommand : PSCmdlet
{
    private const string FromFile = "Path";
    private const string FromResult = "InputObject";

    [Parameter(Mandatory = true, ParameterSetName = FromResult, ValueFromPipeline = true, HelpMessage = "A result that carries changes: from Invoke-PatchwireAsk or Invoke-PatchwireChat.")]
    public PSObject? InputObject { get; set; }

    [Parameter(Position = 0, ParameterSetName = FromFile, HelpMessage = "A patch file (default: .patchwire/last.patch in the project).")]
    public string? Path { get; set; }

    [Parameter(HelpMessage = "The project folder to apply to (default: the result's project folder, else the current project).")]
    public string? ProjectPath { get; set; }

    [Parameter(HelpMessage = "Apply only the files whose path matches one of these wildcard patterns.")]
    [SupportsWildcards]
    public string[]? Include { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            if (InputObject is null) ApplyFile();
            else ApplyResult(InputObject);
        }
        catch (PatchApplyException ex) { WriteError(Errors.From(ex, ex.SavedPatch)); }
        catch (PatchwireException ex) { ThrowTerminatingError(Errors.From(ex, Path ?? ProjectPath)); }
        catch (InvalidOperationException ex) when (ex.Message.StartsWith("git was not found", StringComparison.Ordinal))
        {
            ThrowTerminatingError(new ErrorRecord(ex, ErrorIds.GitMissing, ErrorCategory.ObjectNotFound, "git"));
        }
    }

    private void ApplyFile()
    {
        var root = ProjectPath is not null ? Resolve(ProjectPath) : ClientSettingsLoader.Load(Resolve(".")).ProjectRoot;
        var file = PatchFile.Read(root, Path is null ? null : Resolve(Path));
        var patch = PatchSelection.Select(file.Diff, Include, out var chosen);
        if (chosen.Count == 0)
        {
            WriteWarning(Include is { Length: > 0 } ? "-Include matched none of the files in the diff; nothing applied." : "The diff is empty; nothing to apply.");
            return;
        }
        if (!ShouldProcess(root, $"Apply the diff ({PatchSelection.Describe(chosen)})")) return;
        WriteObject(PatchFile.Apply(file, patch));
    }

    private void ApplyResult(PSObject input)
    {
        var changes = input.BaseObject as IPatchwireChanges ?? Deserialized.From(input)
            ?? throw new PatchwireException($"-InputObject takes a result that carries changes (from Invoke-PatchwireAsk or Invoke-PatchwireChat), not a {input.BaseObject?.GetType().Name ?? "null"}.",
                ErrorIds.NotADiff, ErrorCategory.InvalidArgument);
        var root = ProjectPath is not null ? Resolve(ProjectPath)
            : changes.ProjectRoot.Length > 0 ? changes.ProjectRoot
            : ClientSettingsLoader.Load(Resolve(".")).ProjectRoot;
        if (!Directory.Exists(root))
            throw new PatchwireException($"The project folder {root} does not exist.", ErrorIds.NoProject, ErrorCategory.ObjectNotFound);
        var target = root == changes.ProjectRoot ? changes : new Retargeted(changes, root);
        var patch = PatchSelection.Select(target.Patch, Include, out var chosen);
        if (chosen.Count == 0)
        {
            WriteWarning(Include is { Length: > 0 } ? "-Include matched none of the files in the diff; nothing applied." : "The result has no changes; nothing to apply.");
            return;
        }
        if (!ShouldProcess(root, $"Apply the diff ({PatchSelection.Describe(chosen)})")) return;
        var applied = ApplyStep.Apply(target, patch);
        if (applied.Method == PatchApplyMethod.AlreadyApplied) WriteWarning($"The changes are already in {root}; nothing changed.");
        WriteObject(applied);
    }

    private string Resolve(string path) => SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);

    /// <summary>A result applied to another folder (-ProjectPath): Applied and SavedPatch still land on the result.</summary>
    private sealed class Retargeted(IPatchwireChanges inner, string projectRoot) : IPatchwireChanges
    {
        public string ProjectRoot { get; } = projectRoot;
        public string Patch => inner.Patch;
        public PatchwireFileChange[] Files => inner.Files;
        public string RunId => inner.RunId;
        public PatchApplyMethod? Applied { get => inner.Applied; set => inner.Applied = value; }
        public string? SavedPatch { get => inner.SavedPatch; set => inner.SavedPatch = value; }
    }

    /// <summary>A result that crossed a job or remoting boundary: a property bag with Diff (ask) or Patch (chat) and ProjectRoot.</summary>
    private sealed class Deserialized(PSObject source, string patch) : IPatchwireChanges
    {
        public static Deserialized? From(PSObject input)
        {
            var patch = (input.Properties["Diff"]?.Value ?? input.Properties["Patch"]?.Value) as string;
            return patch is null ? null : new Deserialized(input, patch);
        }

        public string ProjectRoot => source.Properties["ProjectRoot"]?.Value as string ?? "";
        public string Patch { get; } = patch;
        public PatchwireFileChange[] Files => UnifiedDiff.Files(Patch).ToArray();
        public string RunId => source.Properties["RunId"]?.Value as string ?? PatchStore.NewRunId();
        public PatchApplyMethod? Applied
        {
            get => null;
            set { if (source.Properties["Applied"] is { } p) try { p.Value = value?.ToString(); } catch (SetValueException) { } }
        }
        public string? SavedPatch
        {
            get => source.Properties["SavedPatch"]?.Value as string;
            set { if (source.Properties["SavedPatch"] is { } p) try { p.Value = value; } catch (SetValueException) { } }
        }
    }
}
