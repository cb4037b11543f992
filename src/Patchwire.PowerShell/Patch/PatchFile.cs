using System.Management.Automation;
using Patchwire.PowerShell.Common;

namespace Patchwire.PowerShell.Patch;

/// <summary>A patch read from disk for Invoke-PatchwirePatch -Path and 'patchwire apply': the project it goes to, where it came from, its text.</summary>
public sealed class PatchFile(string projectRoot, string source, string diff)
{
    public string ProjectRoot { get; } = projectRoot;
    public string Source { get; } = source;
    public string Diff { get; } = diff;

    /// <param name="path">The patch file; null for the project's .patchwire/last.patch.</param>
    /// <exception cref="PatchwireException">No project folder, no such file, or not a git diff.</exception>
    public static PatchFile Read(string projectRoot, string? path)
    {
        if (!Directory.Exists(projectRoot))
            throw new PatchwireException($"The project folder {projectRoot} does not exist.", ErrorIds.NoProject, ErrorCategory.ObjectNotFound);
        var source = path ?? PatchStore.LastPatchPath(projectRoot);
        if (!File.Exists(source))
            throw new PatchwireException(path is null
                    ? $"There is no saved patch at {source}. 'patchwire ask --save-only', or an ask whose diff was not applied, saves one there; or name a patch file."
                    : $"The patch file {source} does not exist.", ErrorIds.NoPatch, ErrorCategory.ObjectNotFound);
        var diff = File.ReadAllText(source);
        if (diff.Trim().Length > 0 && UnifiedDiff.Sections(diff).Count == 0)
            throw new PatchwireException($"{source} is not a git diff (no 'diff --git' lines).", ErrorIds.NotADiff, ErrorCategory.InvalidData);
        return new PatchFile(projectRoot, source, diff);
    }

    /// <summary>Applies <paramref name="patch"/> (the file's text, or the part -Include chose); a failure says the patch is still in the file.</summary>
    /// <exception cref="PatchApplyException">Nothing was changed.</exception>
    public static PatchwireApplyResult Apply(PatchFile file, string patch)
    {
        try { return PatchApplier.Apply(file.ProjectRoot, patch); }
        catch (PatchApplyException ex)
        {
            throw new PatchApplyException(
                $"{ex.Message} The patch is still in {file.Source}. Stash or commit your local edits (git stash), apply again, then 'git stash pop'; or run 'git apply --3way \"{file.Source}\"' and resolve the conflict markers by hand.",
                file.Source, ex.Conflicts, ex.GitOutput);
        }
    }
}
