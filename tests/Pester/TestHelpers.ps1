# Shared by the Pester suites: reading a child process's output must never hang CI.
function Read-LineWithin {
    param([Parameter(Mandatory)] [System.IO.StreamReader] $Reader, [int] $Seconds = 60)
    $task = $Reader.ReadLineAsync()
    if (-not $task.Wait([TimeSpan]::FromSeconds($Seconds))) { throw "No output line within $Seconds s." }
    $task.Result
}
