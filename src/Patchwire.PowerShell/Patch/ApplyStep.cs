using System.Management.Automation;

namespace Patchwire.PowerShell.Patch;

/// <summary>A result whose changes -Apply applies: an ask's diff or a chat turn's patch.</summary>
internal interface IAppliableChanges
{
    string ProjectRoot { get; }
    string Patch { get; }
    PatchwireFileChange[] Files { get; }
    PatchApplyMethod? Applied { get; set; }
    string? SavedPatch { get; set; }
}

/// <summary>-Apply of Invoke-PatchwireAsk and Invoke-PatchwireChat, one way for both.</summary>
internal static class ApplyStep
{
    /// <summary>
    /// Chooses the -Include files, confirms with ShouldProcess (<paramref name="action"/> words it from the chosen files'
    /// description), applies them, and writes <paramref name="result"/> with Applied or SavedPatch set; a patch that does
    /// not apply is a non-terminating error after the result. <paramref name="holdBack"/> may keep the chosen patch back
    /// before anything is asked (it warns, and saves the patch, itself) by returning true.
    /// </summary>
    public static void ApplyAndWrite(PSCmdlet cmdlet, IAppliableChanges result, string[]? include, Func<string, string> action, Func<string, bool>? holdBack = null)
    {
        var patch = PatchSelection.Select(result.Patch, include, out var chosen);
        if (chosen.Count == 0)
        {
            cmdlet.WriteWarning($"-Include matched none of the changed files ({string.Join(", ", result.Files.Select(f => f.Path))}); nothing applied.");
        }
        else if (holdBack?.Invoke(patch) != true && cmdlet.ShouldProcess(result.ProjectRoot, action(PatchSelection.Describe(chosen))))
        {
            try
            {
                result.Applied = PatchApplier.Apply(result.ProjectRoot, patch).Method;
            }
            catch (PatchApplyException ex)
            {
                result.SavedPatch = ex.SavedPatch;
                cmdlet.WriteObject(result);
                cmdlet.WriteError(PatchSelection.ErrorFor(ex, result.ProjectRoot));
                return;
            }
        }
        cmdlet.WriteObject(result);
    }
}
