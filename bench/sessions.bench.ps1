<#
.SYNOPSIS
    Chat session store benchmark (issue 11 item 7): one session save at 10 and at 100,000 stored sessions.
.DESCRIPTION
    For each size, writes an old-format agent-sessions.json holding that many sessions of other users (100 each) plus
    200 idle sessions of the bench user, starts the agent (which moves them into its SQLite store), then times 200
    DELETE /session/{uuid} of the bench user's sessions one after another: each is one save. Reports the median and
    p90 per size and the ratio 100,000 / 10 (about 1 when a save does not depend on the number of sessions; the old
    JSON file was rewritten whole on every save). Figures go to <OutputDirectory>/sessions.json.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $OutputDirectory,
    [int[]] $Sizes = @(10, 100000)
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Add-Type -AssemblyName System.Net.Http

$ModulePath = (Resolve-Path $ModulePath).Path
$OutputDirectory = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutputDirectory)
$agentDll = Join-Path (Split-Path $ModulePath) 'agent/patchwire-agent.dll'
if (-not (Test-Path $agentDll)) { throw "Agent not found at $agentDll; run ./build.ps1 Build first." }
$work = Join-Path ([IO.Path]::GetTempPath()) ("pw-bench-sessions-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory $work | Out-Null
$token = 'pw_' + ('cd' * 32)

function Start-Agent([string] $HomeDir) {
    $psi = [Diagnostics.ProcessStartInfo]::new('dotnet')
    $psi.ArgumentList.Add($agentDll); $psi.ArgumentList.Add('serve')
    $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true; $psi.UseShellExecute = $false
    foreach ($k in @($psi.Environment.Keys)) { if ($k -like 'PW_*') { $psi.Environment.Remove($k) | Out-Null } }
    $psi.Environment['PW_HOME'] = $HomeDir
    $psi.Environment['PW_AGENT_HOST'] = '127.0.0.1'
    $psi.Environment['PW_AGENT_PORT'] = '0'
    $psi.Environment['PW_SANDBOX'] = 'off'
    $p = [Diagnostics.Process]::Start($psi)
    $deadline = [DateTime]::UtcNow.AddSeconds(120)
    while ([DateTime]::UtcNow -lt $deadline) {
        $line = $p.StandardOutput.ReadLine()
        if ($null -eq $line) { throw "agent exited: $($p.StandardError.ReadToEnd())" }
        if ($line -match '^patchwire-agent listening on (http://\S+)$') { return @{ Process = $p; Url = $Matches[1] } }
    }
    throw 'agent did not start'
}

function Write-OldSessions([string] $Path, [int] $Others, [string[]] $Mine) {
    $at = [DateTimeOffset]::UtcNow.AddDays(-1).ToString('O')
    $entry = '{{"uuid":"{0}","user":"{1}","project":"app","turnCount":1,"status":"done","createdAt":"' + $at + '","startedAt":"' + $at + '","tokensIn":1,"tokensOut":1,"durationMs":1}}'
    $entries = [Collections.Generic.List[string]]::new()
    for ($i = 0; $i -lt $Others; $i++) { $entries.Add(($entry -f [guid]::NewGuid(), ('u' + [Math]::Floor($i / 100)))) }
    foreach ($uuid in $Mine) { $entries.Add(($entry -f $uuid, 'bench')) }
    [IO.File]::WriteAllText($Path, '{"version":1,"sessions":[' + ($entries -join ',') + ']}')
}

try {
    Import-Module $ModulePath -Force
    $figures = [ordered]@{ operation = 'DELETE /session/{uuid} of an idle session (one save)'; sizes = [ordered]@{} }
    foreach ($size in $Sizes) {
        $homeDir = Join-Path $work "home-$size"
        New-Item -ItemType Directory $homeDir | Out-Null
        $env:PW_HOME = $homeDir
        New-PatchwireUser -Name bench -Token $token -Confirm:$false | Out-Null
        $mine = 1..200 | ForEach-Object { [guid]::NewGuid().ToString() }
        Write-OldSessions (Join-Path $homeDir 'agent-sessions.json') $size $mine
        $agent = Start-Agent $homeDir
        try {
            $http = [System.Net.Http.HttpClient]::new()
            $http.DefaultRequestHeaders.Authorization = [System.Net.Http.Headers.AuthenticationHeaderValue]::new('Bearer', $token)
            # Warm up the connection and the agent's code paths on a session that does not exist (204, no save).
            1..20 | ForEach-Object { $http.DeleteAsync("$($agent.Url)/session/$([guid]::NewGuid())").GetAwaiter().GetResult().Dispose() }
            $times = foreach ($uuid in $mine) {
                $clock = [Diagnostics.Stopwatch]::StartNew()
                $response = $http.DeleteAsync("$($agent.Url)/session/$uuid").GetAwaiter().GetResult()
                $clock.Stop()
                if ([int]$response.StatusCode -ne 204) { throw "DELETE answered $([int]$response.StatusCode)" }
                $response.Dispose()
                $clock.Elapsed.TotalMilliseconds
            }
            $sorted = $times | Sort-Object
            $figures.sizes["$size"] = [ordered]@{
                storedSessions = $size + 200
                medianMs = [Math]::Round($sorted[[int]($sorted.Count / 2)], 3)
                p90Ms = [Math]::Round($sorted[[int]($sorted.Count * 0.9)], 3)
            }
            $http.Dispose()
        }
        finally {
            if (-not $agent.Process.HasExited) { $agent.Process.Kill($true); $agent.Process.WaitForExit() }
        }
        Write-Host ("{0,7} sessions: median {1} ms, p90 {2} ms" -f ($size + 200), $figures.sizes["$size"].medianMs, $figures.sizes["$size"].p90Ms)
    }
    if ($Sizes.Count -ge 2) {
        $small = $figures.sizes["$($Sizes[0])"].medianMs
        $large = $figures.sizes["$($Sizes[-1])"].medianMs
        $figures.ratio = [Math]::Round($large / [Math]::Max($small, 0.001), 2)
        Write-Host "save at $($Sizes[-1]) / at $($Sizes[0]) sessions (median): $($figures.ratio)"
    }
    New-Item -ItemType Directory $OutputDirectory -Force | Out-Null
    $figures | ConvertTo-Json -Depth 4 | Set-Content (Join-Path $OutputDirectory 'sessions.json')
}
finally {
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}
