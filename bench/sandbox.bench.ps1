#!/usr/bin/env pwsh
<#
.SYNOPSIS
    The AI sandbox's cost per run (SPEC section 13, issue 9; target under 50 ms): the same no-op AI (/usr/bin/true)
    run through /ask with PW_SANDBOX=off and with PW_SANDBOX=bwrap, on the same small checkout, alternating one run of
    each. Compares the agent-measured AI time (process start to exit: with the sandbox, bwrap setting up its namespaces
    and mounts) and the whole /ask as the client sees it. Writes sandbox.json to -OutputDirectory.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $OutputDirectory,
    [int] $Iterations = 30
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Add-Type -AssemblyName System.Net.Http

if (-not $IsLinux -or -not (Test-Path /usr/bin/bwrap)) {
    Write-Host 'sandbox bench skipped: needs Linux with bubblewrap (/usr/bin/bwrap)'
    return
}
$ModulePath = (Resolve-Path $ModulePath).Path
$agentDll = Join-Path (Split-Path $ModulePath) 'agent/patchwire-agent.dll'
if (-not (Test-Path $agentDll)) { throw "Agent not found at $agentDll; run ./build.ps1 Build first." }
$work = Join-Path ([IO.Path]::GetTempPath()) ("pw-bench-sandbox-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory $work | Out-Null
$token = 'pw_' + ('cd' * 32)

. (Join-Path $PSScriptRoot 'BenchAgent.ps1')

function Start-Agent([string] $HomeDir, [string] $Sandbox) {
    Start-BenchAgent $agentDll $HomeDir @{ PW_AI_BIN = 'true'; PW_AI_CREDENTIALS = 'none'; PW_SANDBOX = $Sandbox }
}

function Invoke-Ask($Http, [string] $Url) {
    $req = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::Post, "$Url/ask")
    $req.Content = [System.Net.Http.StringContent]::new('{"prompt":"noop","project":"app"}', [Text.Encoding]::UTF8, 'application/json')
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $resp = $Http.SendAsync($req, [System.Net.Http.HttpCompletionOption]::ResponseHeadersRead).GetAwaiter().GetResult()
    $reader = [IO.StreamReader]::new($resp.Content.ReadAsStreamAsync().GetAwaiter().GetResult())
    $last = $null
    while ($null -ne ($line = $reader.ReadLine())) { $last = $line }
    $clock.Stop()
    $resp.Dispose()
    $final = $last | ConvertFrom-Json
    if ($final.type -ne 'result' -or $final.exitCode -ne 0) { throw "ask ended with $last" }
    return @{ AiMs = [double] $final.durationMs; AskMs = $clock.Elapsed.TotalMilliseconds }
}

$agents = @{}
try {
    Import-Module $ModulePath -Force
    foreach ($mode in 'off', 'bwrap') {
        $homeDir = Join-Path $work $mode
        $env:PW_HOME = $homeDir
        New-PatchwireUser -Name bench -Token $token -Confirm:$false | Out-Null
        $checkout = Join-Path $homeDir 'projects/bench/app'
        New-Item -ItemType Directory $checkout -Force | Out-Null
        Set-Content (Join-Path $checkout 'README.md') 'small'
        & git -C $checkout init -q -b main
        & git -C $checkout -c user.name=bench -c user.email=bench@patchwire.invalid add -A
        & git -C $checkout -c user.name=bench -c user.email=bench@patchwire.invalid commit -q -m small
        $agents[$mode] = Start-Agent $homeDir $mode
    }
    $handler = [System.Net.Http.SocketsHttpHandler]::new()
    $http = [System.Net.Http.HttpClient]::new($handler)
    $http.Timeout = [TimeSpan]::FromMinutes(2)
    $http.DefaultRequestHeaders.Authorization = [System.Net.Http.Headers.AuthenticationHeaderValue]::new('Bearer', $token)
    $ai = @{ off = [Collections.Generic.List[double]]::new(); bwrap = [Collections.Generic.List[double]]::new() }
    $ask = @{ off = [Collections.Generic.List[double]]::new(); bwrap = [Collections.Generic.List[double]]::new() }
    for ($i = -3; $i -lt $Iterations; $i++) {
        foreach ($mode in 'off', 'bwrap') {
            $r = Invoke-Ask $http $agents[$mode].Url
            if ($i -lt 0) { continue } # warm-up
            $ai[$mode].Add($r.AiMs); $ask[$mode].Add($r.AskMs)
        }
    }
    $http.Dispose()

    $bareAi = Median $ai.off; $sandboxAi = Median $ai.bwrap
    $bareAsk = Median $ask.off; $sandboxAsk = Median $ask.bwrap
    $figures = [ordered]@{
        iterations                = $Iterations
        ai                        = '/usr/bin/true'
        bareAiMedianMs            = [Math]::Round($bareAi, 1)
        sandboxedAiMedianMs       = [Math]::Round($sandboxAi, 1)
        sandboxCostPerRunMs       = [Math]::Round($sandboxAi - $bareAi, 1)
        sandboxedToBareAiRatio    = [Math]::Round($sandboxAi / [Math]::Max($bareAi, 0.1), 2)
        bareAskMedianMs           = [Math]::Round($bareAsk, 1)
        sandboxedAskMedianMs      = [Math]::Round($sandboxAsk, 1)
        sandboxedToBareAskRatio   = [Math]::Round($sandboxAsk / $bareAsk, 2)
        targetMet                 = ($sandboxAi - $bareAi) -lt 50
    }
    New-Item -ItemType Directory $OutputDirectory -Force | Out-Null
    $json = $figures | ConvertTo-Json
    $json | Set-Content (Join-Path $OutputDirectory 'sandbox.json')
    Write-Host $json
}
finally {
    foreach ($a in $agents.Values) { Stop-BenchAgent $a }
    Remove-Item Env:PW_HOME -ErrorAction SilentlyContinue
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}
