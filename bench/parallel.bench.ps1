#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Parallel runs on one project (issue 13): three /ask runs of one user on one project, sent at once, with an AI that
    works -AiSeconds and edits one file, on a generated -Files-file repository. Timed as wall clock from the first
    request to the last result, in four set-ups: one run alone; three at global cap 3 (runs in folders of their own,
    the default); three at global cap 1; three at cap 3 with PW_RUN_WORKTREES=off (the checkout is the unit of work,
    so they take turns). Figures are ratios against one run alone; writes parallel.json to -OutputDirectory.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $OutputDirectory,
    [int] $Files = 1000,
    [double] $AiSeconds = 5,
    [int] $Iterations = 3
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Add-Type -AssemblyName System.Net.Http

$ModulePath = (Resolve-Path $ModulePath).Path
$agentDll = Join-Path (Split-Path $ModulePath) 'agent/patchwire-agent.dll'
if (-not (Test-Path $agentDll)) { throw "Agent not found at $agentDll; run ./build.ps1 Build first." }
$work = Join-Path ([IO.Path]::GetTempPath()) ("pw-bench-par-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory $work | Out-Null
$token = 'pw_' + ('cd' * 32)

function Invoke-Git([string] $Dir, [string[]] $GitArgs) {
    & git -C $Dir @GitArgs | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "git $($GitArgs -join ' ') failed in $Dir" }
}

. (Join-Path $PSScriptRoot 'BenchAgent.ps1')
# The stand-in lives in the bench's temp folder, which the AI sandbox hides; its cost is measured in sandbox.bench.ps1.
function Start-Agent([string] $HomeDir, [hashtable] $Settings) { Start-BenchAgent $agentDll $HomeDir (@{ PW_SANDBOX = 'off' } + $Settings) }
function Stop-Agent($Agent) { Stop-BenchAgent $Agent }

# Sends $Count asks at once and returns the wall-clock seconds until the last result; every one must be a result
# holding only its own edit.
function Measure-Asks($Agent, [int] $Count) {
    $handler = [System.Net.Http.SocketsHttpHandler]::new()
    $http = [System.Net.Http.HttpClient]::new($handler)
    $http.Timeout = [Threading.Timeout]::InfiniteTimeSpan
    $http.DefaultRequestHeaders.Authorization = [System.Net.Http.Headers.AuthenticationHeaderValue]::new('Bearer', $token)
    try {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $tasks = @(foreach ($i in 1..$Count) {
            $body = @{ prompt = "run $i"; project = 'shared' } | ConvertTo-Json -Compress
            $http.PostAsync("$($Agent.Url)/ask", [System.Net.Http.StringContent]::new($body, [Text.Encoding]::UTF8, 'application/json'))
        })
        $texts = @(foreach ($t in $tasks) { $t.GetAwaiter().GetResult().Content.ReadAsStringAsync().GetAwaiter().GetResult() })
        $clock.Stop()
        $i = 0
        foreach ($text in $texts) {
            $i++
            $final = ($text -split "`n" | Where-Object { $_.Trim() } | Select-Object -Last 1) | ConvertFrom-Json
            if ($final.type -ne 'result') { throw "run $i ended with $text" }
            if ($final.diff -notmatch "\+edit by run $i" -or @($final.diff -split "`n" | Where-Object { $_ -match '^\+edit by' }).Count -ne 1) { throw "run $i's diff is not its own: $($final.diff)" }
        }
        return $clock.Elapsed.TotalSeconds
    }
    finally { $http.Dispose() }
}

try {
    Import-Module $ModulePath -Force
    $homeDir = Join-Path $work 'home'
    $env:PW_HOME = $homeDir
    New-PatchwireUser -Name bench -Token $token -Confirm:$false | Out-Null

    $checkout = Join-Path $homeDir 'projects/bench/shared'
    New-Item -ItemType Directory $checkout -Force | Out-Null
    $rng = [Random]::new(7)
    $raw = [byte[]]::new(3000)
    for ($i = 0; $i -lt $Files; $i++) {
        $dir = Join-Path $checkout ('d{0:D2}' -f ($i % 50))
        if ($i -lt 50) { New-Item -ItemType Directory $dir -Force | Out-Null }
        $rng.NextBytes($raw)
        [IO.File]::WriteAllText((Join-Path $dir "f$i.txt"), [Convert]::ToBase64String($raw, [Base64FormattingOptions]::InsertLineBreaks) + "`n")
    }
    Invoke-Git $checkout @('init', '-q', '-b', 'main')
    Invoke-Git $checkout @('-c', 'user.name=bench', '-c', 'user.email=bench@patchwire.invalid', 'add', '-A')
    Invoke-Git $checkout @('-c', 'user.name=bench', '-c', 'user.email=bench@patchwire.invalid', 'commit', '-q', '-m', 'generated')

    # The AI: works $AiSeconds, then appends its prompt to one file that every run edits.
    $aiScript = Join-Path $work 'ai.sh'
    Set-Content $aiScript ("prompt=`$(cat)`nsleep {0}`necho `"edit by `$prompt`" >> d00/f0.txt`n" -f $AiSeconds.ToString([Globalization.CultureInfo]::InvariantCulture))
    $ai = @{ PW_AI_BIN = 'bash'; PW_AI_ARGS = "'$aiScript'"; PW_MAX_CONCURRENT_PER_USER = '3' }

    $setups = [ordered]@{
        oneRun           = @{ Count = 1; Settings = @{ PW_MAX_CONCURRENT_TOTAL = '3' } }
        threeAtCap3      = @{ Count = 3; Settings = @{ PW_MAX_CONCURRENT_TOTAL = '3' } }
        threeAtCap1      = @{ Count = 3; Settings = @{ PW_MAX_CONCURRENT_TOTAL = '1' } }
        threeAtCap3InCheckout = @{ Count = 3; Settings = @{ PW_MAX_CONCURRENT_TOTAL = '3'; PW_RUN_WORKTREES = 'off' } }
    }
    $seconds = [ordered]@{}
    foreach ($name in $setups.Keys) {
        $setup = $setups[$name]
        $agent = Start-Agent $homeDir ($ai + $setup.Settings)
        try {
            $null = Measure-Asks $agent 1 # warm-up
            $times = @(foreach ($i in 1..$Iterations) { Measure-Asks $agent $setup.Count })
            $seconds[$name] = Median $times
        }
        finally { Stop-Agent $agent }
        Write-Host ("{0,-22} {1,6:N2} s" -f $name, $seconds[$name])
    }

    $figures = [ordered]@{
        repositoryFiles                   = $Files
        aiSeconds                         = $AiSeconds
        iterations                        = $Iterations
        medianSeconds                     = $seconds
        # About 1: three runs at cap 3 finish in about one run's time.
        threeAtCap3ToOneRunRatio          = [Math]::Round($seconds.threeAtCap3 / $seconds.oneRun, 2)
        # About 3: the same three at cap 1 take turns.
        threeAtCap1ToOneRunRatio          = [Math]::Round($seconds.threeAtCap1 / $seconds.oneRun, 2)
        threeAtCap1ToThreeAtCap3Ratio     = [Math]::Round($seconds.threeAtCap1 / $seconds.threeAtCap3, 2)
        # About 3: at cap 3 but in the checkout (PW_RUN_WORKTREES=off) they take turns too.
        threeInCheckoutToThreeAtCap3Ratio = [Math]::Round($seconds.threeAtCap3InCheckout / $seconds.threeAtCap3, 2)
        # What a run folder costs on top of the AI (made, captured, removed), from the run alone.
        oneRunOverheadSeconds             = [Math]::Round($seconds.oneRun - $AiSeconds, 2)
        machine                           = "$([Environment]::ProcessorCount) cores, $([Runtime.InteropServices.RuntimeInformation]::OSDescription), load $((Get-Content /proc/loadavg -ErrorAction SilentlyContinue) -split ' ' | Select-Object -First 1)"
    }
    $json = $figures | ConvertTo-Json -Depth 4
    New-Item -ItemType Directory -Path $OutputDirectory -Force | Out-Null
    Set-Content (Join-Path $OutputDirectory 'parallel.json') $json
    $json
}
finally {
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}
