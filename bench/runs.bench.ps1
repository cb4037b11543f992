#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Runs benchmarks (SPEC §13, issue 3): agent overhead of one /ask against the bare git sequence upstream runs, on a
    generated 10,000-file repository with a no-op AI; and 1,000 waiting requests at global cap 1 (agent RSS, every
    'queued' position equal to its rank). Writes runs.json to -OutputDirectory.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $OutputDirectory,
    [int] $Files = 10000,
    [int] $FileBytes = 10000,
    [int] $Iterations = 15,
    [int] $Waiting = 1000
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Add-Type -AssemblyName System.Net.Http

$ModulePath = (Resolve-Path $ModulePath).Path
$agentDll = Join-Path (Split-Path $ModulePath) 'agent/patchwire-agent.dll'
if (-not (Test-Path $agentDll)) { throw "Agent not found at $agentDll; run ./build.ps1 Build first." }
$work = Join-Path ([IO.Path]::GetTempPath()) ("pw-bench-runs-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory $work | Out-Null
$token = 'pw_' + ('ab' * 32)

function Invoke-Git([string] $Dir, [string[]] $GitArgs) {
    & git -C $Dir @GitArgs | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "git $($GitArgs -join ' ') failed in $Dir" }
}

. (Join-Path $PSScriptRoot 'BenchAgent.ps1')

# The stand-ins live in the bench's temp folder, which the AI sandbox hides; its cost is measured in sandbox.bench.ps1.
function Start-Agent([string] $HomeDir, [hashtable] $Settings) { Start-BenchAgent $agentDll $HomeDir (@{ PW_SANDBOX = 'off' } + $Settings) }

function Stop-Agent($Agent) { Stop-BenchAgent $Agent }

function New-Http {
    $handler = [System.Net.Http.SocketsHttpHandler]::new()
    $handler.MaxConnectionsPerServer = 5000
    $http = [System.Net.Http.HttpClient]::new($handler)
    $http.Timeout = [Threading.Timeout]::InfiniteTimeSpan
    $http.DefaultRequestHeaders.Authorization = [System.Net.Http.Headers.AuthenticationHeaderValue]::new('Bearer', $token)
    return $http
}

function Open-Ask($Http, [string] $Url, [string] $Prompt, [string] $Project) {
    $req = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::Post, "$Url/ask")
    $body = @{ prompt = $Prompt; project = $Project } | ConvertTo-Json -Compress
    $req.Content = [System.Net.Http.StringContent]::new($body, [Text.Encoding]::UTF8, 'application/json')
    $resp = $Http.SendAsync($req, [System.Net.Http.HttpCompletionOption]::ResponseHeadersRead).GetAwaiter().GetResult()
    if (-not $resp.IsSuccessStatusCode) { throw "/ask answered $([int]$resp.StatusCode): $($resp.Content.ReadAsStringAsync().GetAwaiter().GetResult())" }
    return @{ Response = $resp; Reader = [IO.StreamReader]::new($resp.Content.ReadAsStreamAsync().GetAwaiter().GetResult()) }
}

try {
    Import-Module $ModulePath -Force
    $homeDir = Join-Path $work 'home'
    $env:PW_HOME = $homeDir
    New-PatchwireUser -Name bench -Token $token -Confirm:$false | Out-Null

    # ---- 1. Overhead of one /ask on a 10,000-file repository, no-op AI --------------------------------------------
    $checkout = Join-Path $homeDir 'projects/bench/big'
    New-Item -ItemType Directory $checkout -Force | Out-Null
    # Text files of random base64 lines (76 characters), about $FileBytes each, in 100 folders.
    $rng = [Random]::new(42)
    $raw = [byte[]]::new([int]($FileBytes * 3 / 4))
    for ($i = 0; $i -lt $Files; $i++) {
        $dir = Join-Path $checkout ('d{0:D3}' -f ($i % 100))
        if ($i -lt 100) { New-Item -ItemType Directory $dir -Force | Out-Null }
        $rng.NextBytes($raw)
        [IO.File]::WriteAllText((Join-Path $dir "f$i.txt"), [Convert]::ToBase64String($raw, [Base64FormattingOptions]::InsertLineBreaks) + "`n")
    }
    Invoke-Git $checkout @('init', '-q', '-b', 'main')
    Invoke-Git $checkout @('-c', 'user.name=bench', '-c', 'user.email=bench@patchwire.invalid', 'add', '-A')
    Invoke-Git $checkout @('-c', 'user.name=bench', '-c', 'user.email=bench@patchwire.invalid', 'commit', '-q', '-m', 'generated')
    $sizeMb = [Math]::Round(((Get-ChildItem $checkout -Recurse -File -Exclude '.git' | Where-Object FullName -notmatch '[\\/]\.git[\\/]' | Measure-Object Length -Sum).Sum / 1MB), 1)

    # Each measured twice: a no-op AI (nothing to capture or undo) and an AI that appends a line to one file.
    $editScript = Join-Path $work 'edit.sh'
    Set-Content $editScript "cat >/dev/null`necho edit >> d000/f0.txt`n"
    $measured = [ordered]@{}
    foreach ($case in @(
            @{ Name = 'noOp'; Ai = @{ PW_AI_BIN = 'true'; PW_AI_ARGS = '' }; Prepare = $null },
            @{ Name = 'oneFileEdit'; Ai = @{ PW_AI_BIN = 'bash'; PW_AI_ARGS = "'$editScript'" }; Prepare = { Add-Content (Join-Path $checkout 'd000/f0.txt') 'edit' } })) {
        $agent = Start-Agent $homeDir $case.Ai
        $http = New-Http
        $agentMs = [Collections.Generic.List[double]]::new()
        $aiMs = [Collections.Generic.List[double]]::new()
        for ($i = -2; $i -lt $Iterations; $i++) {
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $ask = Open-Ask $http $agent.Url "ask $i" 'big'
            $last = $null
            while ($null -ne ($line = $ask.Reader.ReadLine())) { $last = $line }
            $clock.Stop()
            $ask.Response.Dispose()
            $final = $last | ConvertFrom-Json
            if ($final.type -ne 'result') { throw "$($case.Name) ask ended with $last" }
            if ($case.Prepare -and $final.files.Count -ne 1) { throw "the edit was not captured: $last" }
            if ($i -lt 0) { continue } # warm-up
            $agentMs.Add($clock.Elapsed.TotalMilliseconds - $final.durationMs)
            $aiMs.Add($final.durationMs)
        }
        $http.Dispose()
        Stop-Agent $agent

        # The bare git sequence upstream runs for the same work, on the same checkout, each command its own process.
        $sequence = @(
            @('status', '--porcelain'), @('add', '-A'), @('diff', '--cached'), @('diff', '--cached', '--name-only'),
            @('reset', '-q', 'HEAD', '--'), @('checkout', '--', '.'), @('clean', '-fdq'))
        $gitMs = [Collections.Generic.List[double]]::new()
        for ($i = -2; $i -lt $Iterations; $i++) {
            $clock = [Diagnostics.Stopwatch]::new()
            foreach ($cmd in $sequence) {
                # The AI's own work happens between status and add -A, untimed, as in the agent's figure.
                if ($cmd[0] -eq 'add' -and $case.Prepare) { & $case.Prepare }
                $clock.Start(); Invoke-Git $checkout $cmd; $clock.Stop()
            }
            if ($i -ge 0) { $gitMs.Add($clock.Elapsed.TotalMilliseconds) }
        }
        $overhead = Median $agentMs
        $bareGit = Median $gitMs
        $measured[$case.Name] = [ordered]@{
            askOverheadMedianMs     = [Math]::Round($overhead, 1)
            aiMedianMs              = [Math]::Round((Median $aiMs), 1)
            bareGitSequenceMedianMs = [Math]::Round($bareGit, 1)
            overheadToBareGitRatio  = [Math]::Round($overhead / $bareGit, 2)
            targetMet               = $overhead -le $bareGit
        }
    }

    # ---- 2. 1,000 waiting requests at global cap 1 --------------------------------------------------------------
    $queueHome = Join-Path $work 'queue-home'
    $env:PW_HOME = $queueHome
    New-PatchwireUser -Name bench -Token $token -Confirm:$false | Out-Null
    $small = Join-Path $queueHome 'projects/bench/small'
    New-Item -ItemType Directory $small -Force | Out-Null
    Set-Content (Join-Path $small 'README.md') 'small'
    Invoke-Git $small @('init', '-q', '-b', 'main')
    Invoke-Git $small @('-c', 'user.name=bench', '-c', 'user.email=bench@patchwire.invalid', 'add', '-A')
    Invoke-Git $small @('-c', 'user.name=bench', '-c', 'user.email=bench@patchwire.invalid', 'commit', '-q', '-m', 'small')
    $release = Join-Path $work 'release'
    $holdScript = Join-Path $work 'hold.sh'
    Set-Content $holdScript "cat >/dev/null`nwhile [ ! -f '$release' ]; do sleep 0.05; done`n"
    $agent = Start-Agent $queueHome @{ PW_AI_BIN = 'bash'; PW_AI_ARGS = "'$holdScript'"; PW_MAX_CONCURRENT_TOTAL = '1'; PW_MAX_CONCURRENT_PER_USER = '1' }
    $rssIdleMb = [Math]::Round(((Get-Content "/proc/$($agent.Process.Id)/status" | Select-String '^VmRSS:\s+(\d+)').Matches[0].Groups[1].Value / 1024), 1)
    $http = New-Http
    $holder = Open-Ask $http $agent.Url 'holder' 'small'
    if (($holder.Reader.ReadLine() | ConvertFrom-Json).type -ne 'accepted') { throw 'the first request should run at once' }
    $streams = [Collections.Generic.List[object]]::new()
    $wrong = 0
    $clock = [Diagnostics.Stopwatch]::StartNew()
    for ($rank = 1; $rank -le $Waiting; $rank++) {
        $ask = Open-Ask $http $agent.Url "waiter $rank" 'small'
        $first = $ask.Reader.ReadLine() | ConvertFrom-Json
        if ($first.type -ne 'queued' -or $first.position -ne $rank) { $wrong++ }
        $streams.Add($ask)
    }
    $enqueueSeconds = $clock.Elapsed.TotalSeconds
    [GC]::Collect()
    Start-Sleep -Milliseconds 500
    $status = Get-Content "/proc/$($agent.Process.Id)/status"
    $rssMb = [Math]::Round((($status | Select-String '^VmRSS:\s+(\d+)').Matches[0].Groups[1].Value / 1024), 1)
    $snapshot = $http.GetStringAsync("$($agent.Url)/queue").GetAwaiter().GetResult() | ConvertFrom-Json
    $snapshotRight = ($snapshot.queued.Count -eq $Waiting) -and (@($snapshot.queued | Where-Object { $_.position -ne ([array]::IndexOf($snapshot.queued, $_) + 1) }).Count -eq 0)
    foreach ($s in $streams) { $s.Response.Dispose() }
    $holder.Response.Dispose()
    $http.Dispose()
    Stop-Agent $agent

    $figures = [ordered]@{
        repositoryFiles              = $Files
        repositoryMegabytes          = $sizeMb
        iterations                   = $Iterations
        noOpAi                       = $measured['noOp']
        oneFileEditAi                = $measured['oneFileEdit']
        overheadTargetMet            = $measured['noOp'].targetMet -and $measured['oneFileEdit'].targetMet
        waitingRequests              = $Waiting
        enqueueSeconds               = [Math]::Round($enqueueSeconds, 1)
        agentRssIdleMb               = $rssIdleMb
        agentRssWithWaitingMb        = $rssMb
        rssTargetMet                 = $rssMb -lt 200
        queuedPositionsWrong         = $wrong
        queueSnapshotPositionsRight  = $snapshotRight
    }
    New-Item -ItemType Directory $OutputDirectory -Force | Out-Null
    $json = $figures | ConvertTo-Json -Depth 4
    $json | Set-Content (Join-Path $OutputDirectory 'runs.json')
    Write-Host $json
}
finally {
    Remove-Item Env:PW_HOME -ErrorAction SilentlyContinue
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}
