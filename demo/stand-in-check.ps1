<#
.SYNOPSIS
    The demo's stand-in for a project's test suite, run by the agent as PW_VERIFY_CMD after each run that changed
    files (in the checkout, before it is restored). It fails when any file of the project holds the word FIXME.
#>
$files = @(Get-ChildItem -Recurse -File -Force | Where-Object { $_.FullName -notmatch '[\\/]\.git([\\/]|$)' })
$bad = @($files | Select-String -SimpleMatch 'FIXME' -List)
if ($bad.Count -gt 0) {
    foreach ($hit in $bad) { Write-Output "FAIL $($hit.Path | Resolve-Path -Relative): line $($hit.LineNumber) still says FIXME" }
    Write-Output "1 of 1 checks failed"
    exit 1
}
Write-Output "checked $($files.Count) files: no FIXME left; 1 of 1 checks passed"
