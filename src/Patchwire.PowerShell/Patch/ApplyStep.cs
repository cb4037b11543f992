using System.Management.Automation;
using System.Management.Automation.Host;
using Patchwire.PowerShell.Common;

namespace Patchwire.PowerShell.Patch;

/// <summary>A result that carries changes to apply: an ask's diff or a chat turn's patch (Invoke-PatchwirePatch takes either).</summary>
public interface IPatchwireChanges
{
    /// <summary>The local folder the patch applies to.</summary>
    string ProjectRoot { get; }
    /// <summary>The changes, as a diff for 'git apply'.</summary>
    string Patch { get; }
    PatchwireFileChange[] Files { get; }
    /// <summary>Names the run's saved patch (.patchwire/patches/&lt;time&gt;-&lt;RunId&gt;.patch).</summary>
    string RunId { get; }
    PatchApplyMethod? Applied { get; set; }
    string? SavedPatch { get; set; }
}

/// <summary>
/// Applying or keeping a result's changes, one way for Invoke-PatchwireAsk, Invoke-PatchwireChat, Invoke-PatchwirePatch
/// and the 'ask', 'chat' and 'apply' verbs. A result is never lost: whatever keeps it from being applied, its patch is
/// saved first.
/// </summary>
public static class ApplyStep
{
    /// <summary>Saves the whole patch (the run's own file and last.patch) and records where on the result.</summary>
    public static string Save(IPatchwireChanges result) =>
        result.SavedPatch = PatchStore.Save(result.ProjectRoot, result.Patch, result.RunId);

    /// <summary>
    /// Applies the files <paramref name="include"/> chooses (all without it) and sets Applied. When git cannot apply
    /// them, the whole patch is saved and the rethrown failure says where.
    /// </summary>
    /// <exception cref="PatchApplyException">Nothing was changed; SavedPatch is set.</exception>
    public static PatchwireApplyResult Apply(IPatchwireChanges result, string chosenPatch)
    {
        try
        {
            var applied = PatchApplier.Apply(result.ProjectRoot, chosenPatch);
            result.Applied = applied.Method;
            return applied;
        }
        catch (PatchApplyException ex)
        {
            throw ex.SavedTo(Save(result), result.ProjectRoot);
        }
    }

    /// <summary>
    /// -Apply of the ask and chat cmdlets: chooses the -Include files, confirms with ShouldProcess, applies, and writes
    /// <paramref name="result"/> with Applied or SavedPatch set. Declined, unanswerable (-Confirm under -NonInteractive),
    /// held back, or conflicting: the patch is saved and the result still written. Ctrl+C at the prompt saves it too.
    /// <paramref name="holdBack"/> returns a reason not to apply at all (the AI failed), or null.
    /// </summary>
    internal static void ApplyAndWrite(PSCmdlet cmdlet, IPatchwireChanges result, string[]? include, Func<string, string> action, string? holdBack = null)
    {
        var patch = PatchSelection.Select(result.Patch, include, out var chosen);
        if (chosen.Count == 0)
        {
            Save(result);
            cmdlet.WriteWarning($"-Include matched none of the changed files ({string.Join(", ", result.Files.Select(f => f.Path))}); nothing applied. The diff is saved to {result.SavedPatch}.");
            cmdlet.WriteObject(result);
            return;
        }
        if (holdBack is not null)
        {
            Save(result);
            cmdlet.WriteWarning($"{holdBack}; the diff is saved to {result.SavedPatch}. Review it, then run Invoke-PatchwirePatch.");
            cmdlet.WriteObject(result);
            return;
        }

        bool confirmed;
        try
        {
            confirmed = cmdlet.ShouldProcess(result.ProjectRoot, action(PatchSelection.Describe(chosen)));
        }
        catch (PipelineStoppedException)
        {
            Save(result);
            throw;
        }
        catch (Exception ex) when (ex is PSInvalidOperationException or HostException or PSNotImplementedException or NotImplementedException)
        {
            // -Confirm where nobody can answer (pwsh -NonInteractive): keep the run, say why, and still return it.
            Save(result);
            cmdlet.WriteObject(result);
            cmdlet.WriteError(new ErrorRecord(new InvalidOperationException(
                    $"Could not ask for confirmation ({ex.Message}); nothing applied. The diff is saved to {result.SavedPatch}: apply it with Invoke-PatchwirePatch, or leave out -Confirm.", ex),
                ErrorIds.ConfirmUnavailable, ErrorCategory.InvalidOperation, result.ProjectRoot));
            return;
        }
        if (!confirmed)
        {
            Save(result);
            cmdlet.WriteVerbose($"Not applied; the diff is saved to {result.SavedPatch}.");
            cmdlet.WriteObject(result);
            return;
        }
        try
        {
            cmdlet.WriteVerbose($"Applying {PatchSelection.Describe(chosen)} to {result.ProjectRoot}.");
            var applied = Apply(result, patch);
            if (applied.Method == PatchApplyMethod.AlreadyApplied) cmdlet.WriteWarning($"The changes are already in {result.ProjectRoot}; nothing changed.");
        }
        catch (PatchApplyException ex)
        {
            cmdlet.WriteObject(result);
            cmdlet.WriteError(Errors.From(ex, result.ProjectRoot));
            return;
        }
        cmdlet.WriteObject(result);
    }
}
