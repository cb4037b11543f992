<#
.SYNOPSIS
    Patchwire end to end, offline, on loopback, in temporary folders (./build.ps1 Demo).
#>
param([Parameter(Mandatory)] [string] $ModulePath)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath -Force
$moduleDir = Split-Path $ModulePath

function Step([string] $text) { Write-Host ''; Write-Host "== $text" -ForegroundColor Cyan }

$work = Join-Path ([IO.Path]::GetTempPath()) ("patchwire-demo-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
$boxHome = Join-Path $work 'box'
New-Item -ItemType Directory -Path $boxHome -Force | Out-Null
$agent = $null
$savedHome = $env:PW_HOME
try {
    Step "An agent on loopback (PW_HOME=$boxHome), its AI a bundled stand-in script"
    $dotnet = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($dotnet) -ne 'dotnet') { $dotnet = 'dotnet' }
    $psi = [System.Diagnostics.ProcessStartInfo]::new($dotnet)
    $psi.ArgumentList.Add((Join-Path $moduleDir 'agent/patchwire-agent.dll'))
    $psi.ArgumentList.Add('serve')
    $psi.RedirectStandardOutput = $true
    $psi.UseShellExecute = $false
    $psi.Environment['PW_HOME'] = $boxHome
    $psi.Environment['PW_AGENT_PORT'] = '0'
    $psi.Environment['PW_AI_BIN'] = $dotnet
    $psi.Environment['PW_AI_ARGS'] = "`"$(Join-Path $PSHOME 'pwsh.dll')`" -NoProfile -NonInteractive -File `"$(Join-Path $moduleDir 'demo/stand-in-ai.ps1')`""
    $psi.Environment['PW_MAX_CONCURRENT_TOTAL'] = '1'
    $psi.Environment['PW_MAX_CONCURRENT_PER_USER'] = '1'
    $psi.Environment['PW_LAST_SEEN_FLUSH_SEC'] = '1'
    $agent = [System.Diagnostics.Process]::Start($psi)
    $line = $agent.StandardOutput.ReadLine()
    Write-Host $line
    Write-Host $agent.StandardOutput.ReadLine()
    $url = ($line -split ' ')[-1]

    Step 'The admin adds two developers (tokens are shown once; only their hashes are stored)'
    $env:PW_HOME = $boxHome
    $ana = New-PatchwireUser ana
    $ben = New-PatchwireUser ben
    Write-Host "ana's token: $($ana.Token.Substring(0, 10))…   ben's token: $($ben.Token.Substring(0, 10))…"
    Get-PatchwireUser | Format-Table | Out-Host

    Step 'GET /health needs no token; GET /me names the caller'
    Invoke-RestMethod "$url/health" | ConvertTo-Json -Compress | Out-Host
    foreach ($u in $ana, $ben) {
        Invoke-RestMethod "$url/me" -Headers @{ Authorization = "Bearer $($u.Token)" } | ConvertTo-Json -Compress | Out-Host
    }

    Step "The admin disables ben: his next request gets 403"
    Disable-PatchwireUser ben
    try { Invoke-RestMethod "$url/me" -Headers @{ Authorization = "Bearer $($ben.Token)" } | Out-Null }
    catch { Write-Host "$([int]$_.Exception.Response.StatusCode) $($_.ErrorDetails.Message | ConvertFrom-Json | ConvertTo-Json -Compress)" }
    Enable-PatchwireUser ben
    Start-Sleep -Seconds 1.5
    Get-PatchwireUser | Format-Table | Out-Host
}
finally {
    $env:PW_HOME = $savedHome
    if ($agent -and -not $agent.HasExited) { $agent.Kill($true); $agent.WaitForExit() }
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}
Write-Host ''
Write-Host 'Demo finished.' -ForegroundColor Green
