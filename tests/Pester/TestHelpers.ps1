# Shared by the Pester suites: reading a child process's output must never hang CI.
function Read-LineWithin {
    param([Parameter(Mandatory)] [System.IO.StreamReader] $Reader, [int] $Seconds = 60)
    $task = $Reader.ReadLineAsync()
    if (-not $task.Wait([TimeSpan]::FromSeconds($Seconds))) { throw "No output line within $Seconds s." }
    $task.Result
}

# The real agent shipped in the module folder, on a free loopback port, with a stand-in AI command line. The
# stand-ins live in TestDrive, which the AI sandbox would hide, so these agents run with PW_SANDBOX=off (the
# sandbox has its own xunit tests). Returns the process (stdout still redirected) and the URL it listens on.
function Start-TestAgent {
    param([Parameter(Mandatory)] [string] $Manifest, [Parameter(Mandatory)] [string] $AgentHome, [Parameter(Mandatory)] [string] $AiArgs)
    $psi = [Diagnostics.ProcessStartInfo]::new('dotnet')
    $psi.ArgumentList.Add((Join-Path (Split-Path $Manifest) 'agent/patchwire-agent.dll'))
    $psi.ArgumentList.Add('serve')
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.UseShellExecute = $false
    foreach ($key in @($psi.Environment.Keys | Where-Object { $_ -like 'PW_*' })) { $psi.Environment.Remove($key) | Out-Null }
    $psi.Environment['PW_HOME'] = $AgentHome
    $psi.Environment['PW_AGENT_PORT'] = '0'
    $psi.Environment['PW_SANDBOX'] = 'off'
    $psi.Environment['PW_AI_BIN'] = 'bash'
    $psi.Environment['PW_AI_ARGS'] = $AiArgs
    $process = [Diagnostics.Process]::Start($psi)
    $url = $null
    $deadline = [DateTime]::UtcNow.AddSeconds(60)
    while (-not $url -and [DateTime]::UtcNow -lt $deadline) {
        $line = Read-LineWithin $process.StandardOutput
        if ($null -eq $line) { break }
        if ($line -match '^patchwire-agent listening on (http://\S+)$') { $url = $Matches[1] }
    }
    if (-not $url) { throw "The agent did not start: $($process.StandardError.ReadToEnd())" }
    [pscustomobject]@{ Process = $process; Url = $url }
}
