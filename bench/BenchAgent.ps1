# Dot-sourced by the benchmarks that start their own agent (runs, sandbox): one way to start it, stop it and take a median.

# Starts 'patchwire-agent serve' from $AgentDll on 127.0.0.1, port 0, with PW_HOME and $Settings only (no PW_* of the
# caller's); returns @{ Process; Url } once it prints its listening line.
function Start-BenchAgent([string] $AgentDll, [string] $HomeDir, [hashtable] $Settings) {
    $psi = [Diagnostics.ProcessStartInfo]::new('dotnet')
    $psi.ArgumentList.Add($AgentDll); $psi.ArgumentList.Add('serve')
    $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true; $psi.UseShellExecute = $false
    foreach ($k in @($psi.Environment.Keys)) { if ($k -like 'PW_*') { $psi.Environment.Remove($k) | Out-Null } }
    $psi.Environment['PW_HOME'] = $HomeDir
    $psi.Environment['PW_AGENT_HOST'] = '127.0.0.1'
    $psi.Environment['PW_AGENT_PORT'] = '0'
    foreach ($k in $Settings.Keys) { $psi.Environment[$k] = $Settings[$k] }
    $p = [Diagnostics.Process]::Start($psi)
    $deadline = [DateTime]::UtcNow.AddSeconds(60)
    while ([DateTime]::UtcNow -lt $deadline) {
        $line = $p.StandardOutput.ReadLine()
        if ($null -eq $line) { throw "agent exited: $($p.StandardError.ReadToEnd())" }
        if ($line -match '^patchwire-agent listening on (http://\S+)$') { return @{ Process = $p; Url = $Matches[1] } }
    }
    throw 'agent did not start'
}

function Stop-BenchAgent($Agent) {
    if (-not $Agent.Process.HasExited) { $Agent.Process.Kill($true); $Agent.Process.WaitForExit() }
}

function Median([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    $n = $sorted.Count
    if ($n % 2) { return $sorted[[int][Math]::Floor($n / 2)] }
    return ($sorted[$n / 2 - 1] + $sorted[$n / 2]) / 2
}
