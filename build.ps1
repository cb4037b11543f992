#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds, tests, demonstrates, benchmarks and packages Patchwire for PowerShell.
.DESCRIPTION
    Build   (default) compiles the solution and lays out the module in out/Patchwire, so that
            Import-Module ./Patchwire.psd1 works from the repository root.
    Test    builds, runs the xunit and Pester suites and ends with one line 'N passed, N failed'.
    Demo    runs the whole flow offline on loopback in temporary folders.
    Bench   runs the benchmarks; figures go to out/bench/*.json.
    Package writes an installable module folder out/Patchwire (copy it into $env:PSModulePath).
.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 Test
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Test', 'Demo', 'Bench', 'Package')]
    [string] $Task = 'Build',
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',
    # Only the xunit tests whose names match this filter (dotnet test --filter syntax); Pester is skipped when set.
    [string] $Filter
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = $PSScriptRoot
$out = Join-Path $root 'out'
$moduleOut = Join-Path $out 'Patchwire'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'
$env:DOTNET_SKIP_FIRST_TIME_EXPERIENCE = '1'

function Invoke-Native {
    param([string] $File, [string[]] $Arguments)
    & $File @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$File $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

function Invoke-Build {
    Invoke-Native dotnet @('build', (Join-Path $root 'Patchwire.sln'), '-c', $Configuration, '--nologo', '-v', 'q', '-clp:ErrorsOnly')
    if (Test-Path $moduleOut) { Remove-Item $moduleOut -Recurse -Force }
    New-Item -ItemType Directory -Path $moduleOut | Out-Null
    $moduleBin = Join-Path $root "src/Patchwire.PowerShell/bin/$Configuration/netstandard2.0"
    Copy-Item (Join-Path $moduleBin '*') $moduleOut -Recurse
    Copy-WindowsImplementations $moduleOut
    $agentBin = Join-Path $root "src/Agent/bin/$Configuration/net10.0"
    Copy-Item $agentBin (Join-Path $moduleOut 'agent') -Recurse
    $demoAi = Join-Path $root 'demo'
    if (Test-Path $demoAi) { Copy-Item $demoAi (Join-Path $moduleOut 'demo') -Recurse }
    & (Join-Path $root 'build/New-MamlHelp.ps1') -AssemblyPath (Join-Path $moduleOut 'Patchwire.PowerShell.dll') -OutputPath (Join-Path $moduleOut 'en-US/Patchwire.PowerShell.dll-Help.xml')
    Copy-Item (Join-Path $root 'src/Patchwire.PowerShell/Patchwire.psd1') $moduleOut
    Write-Host "Built $Configuration; module in $moduleOut"
}

# The pwsh running this script: a plain pwsh, or 'dotnet pwsh' (the local tool), whose process is dotnet itself.
function Invoke-ChildPwsh {
    param([string[]] $Arguments)
    $self = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($self) -eq 'dotnet') { & $self (Join-Path $PSHOME 'pwsh.dll') @Arguments }
    else { & $self @Arguments }
}

# The netstandard2.0 builds of these packages only throw PlatformNotSupported; Windows PowerShell 5.1 loads
# them from the module folder, so ship the Windows implementations (same assembly version). pwsh 7 uses its own.
function Copy-WindowsImplementations([string] $Destination) {
    $packages = (& dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', ''
    foreach ($package in 'System.Security.Principal.Windows', 'System.IO.FileSystem.AccessControl', 'System.Security.AccessControl') {
        $dll = Join-Path $Destination "$package.dll"
        if (-not (Test-Path $dll)) { continue }
        $version = (Get-Item $dll).VersionInfo.ProductVersion -replace '[+ ].*$', ''
        $folder = Get-ChildItem (Join-Path $packages $package.ToLowerInvariant()) -Directory |
            Where-Object { $version.StartsWith($_.Name) } | Select-Object -First 1
        $windows = if ($folder) { Join-Path $folder.FullName "runtimes/win/lib/net461/$package.dll" }
        if (-not $windows -or -not (Test-Path $windows)) { throw "No Windows implementation of $package $version under $packages" }
        Copy-Item $windows $dll -Force
    }
}

function Get-PesterModule {
    $packages = Join-Path $root '.tools/packages'
    $psd1 = Join-Path $packages 'pester/5.7.1/tools/Pester.psd1'
    if (-not (Test-Path $psd1)) {
        Invoke-Native dotnet @('restore', (Join-Path $root 'build/pester.csproj'), '--packages', $packages, '--nologo', '-v', 'q')
    }
    if (-not (Test-Path $psd1)) { throw "Pester 5.7.1 was not restored to $psd1" }
    return $psd1
}

# What the test suite needs beyond the .NET SDK and git, installed when missing and when it can be: bubblewrap for the
# AI sandbox's tests (apt-get, as root or through sudo without a password) and the real Claude Code CLI for the one test
# that runs it (npm). When either cannot be installed, only the tests that need it are skipped, each saying why.
function Install-TestPrerequisites {
    if (-not $IsLinux) { return }
    if (-not (Test-Path /usr/bin/bwrap)) {
        $asRoot = (& id -u) -eq '0'
        $sudo = if ($asRoot) { @() } elseif (Get-Command sudo -ErrorAction SilentlyContinue) { @('sudo', '-n') } else { $null }
        if ($null -eq $sudo -or -not (Get-Command apt-get -ErrorAction SilentlyContinue)) {
            Write-Host 'bubblewrap is missing and cannot be installed here (needs apt-get, and root or sudo): the AI sandbox tests will be skipped.'
        } else {
            Write-Host 'Installing bubblewrap (apt-get) for the AI sandbox tests'
            $apt = @($sudo) + @('env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get')
            & $apt[0] @($apt | Select-Object -Skip 1) install -y -q bubblewrap
            if ($LASTEXITCODE -ne 0) {
                & $apt[0] @($apt | Select-Object -Skip 1) update -q
                & $apt[0] @($apt | Select-Object -Skip 1) install -y -q bubblewrap
            }
            if (-not (Test-Path /usr/bin/bwrap)) { Write-Host 'bubblewrap could not be installed: the AI sandbox tests will be skipped.' }
        }
    }
    if (-not (Get-Command claude -ErrorAction SilentlyContinue)) {
        if (Get-Command npm -ErrorAction SilentlyContinue) {
            Write-Host 'Installing Claude Code (npm install -g @anthropic-ai/claude-code@2.1) for the real-CLI sandbox test'
            & npm install -g --no-audit --no-fund --fetch-retries=1 --fetch-timeout=30000 '@anthropic-ai/claude-code@2.1'
            if ($LASTEXITCODE -ne 0 -or -not (Get-Command claude -ErrorAction SilentlyContinue)) {
                Write-Host 'Claude Code could not be installed (npm unreachable, or no right to install globally): its test will be skipped.'
            }
        } else {
            Write-Host 'npm is not installed, so Claude Code cannot be: its sandbox test will be skipped.'
        }
    }
}

function Invoke-Test {
    Install-TestPrerequisites
    Invoke-Build
    $results = Join-Path $out 'test-results'
    if (Test-Path $results) { Remove-Item $results -Recurse -Force }
    New-Item -ItemType Directory -Path $results | Out-Null

    $passed = 0; $failed = 0
    $testArgs = @('test', (Join-Path $root 'tests/Patchwire.Tests/Patchwire.Tests.csproj'), '-c', $Configuration, '--no-build', '--nologo',
        '--logger', 'trx;LogFileName=xunit.trx', '--logger', 'console;verbosity=normal', '--results-directory', $results)
    if ($Filter) { $testArgs += @('--filter', $Filter) }
    & dotnet @testArgs
    $trx = Get-ChildItem $results -Filter *.trx -Recurse | Select-Object -First 1
    if ($trx) {
        [xml] $doc = Get-Content $trx.FullName -Raw
        $counters = $doc.TestRun.ResultSummary.Counters
        $passed += [int] $counters.passed
        $failed += [int] $counters.failed + [int] $counters.error + [int] $counters.timeout + [int] $counters.aborted
        Write-Host "xunit: $($counters.passed) passed, $($counters.failed) failed"
    } else {
        Write-Host 'xunit: no results file (the test host crashed?)'
        $failed += 1
    }

    if (-not $Filter) {
        $pester = Get-PesterModule
        $summary = Join-Path $results 'pester.json'
        $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$pester' -RequiredVersion 5.7.1
`$config = New-PesterConfiguration
`$config.Run.Path = '$(Join-Path $root 'tests/Pester')'
`$config.Run.PassThru = `$true
`$config.Output.Verbosity = 'Detailed'
`$r = Invoke-Pester -Configuration `$config
@{ passed = `$r.PassedCount; failed = `$r.FailedCount + `$r.FailedBlocksCount + `$r.FailedContainersCount } | ConvertTo-Json | Set-Content '$summary'
"@
        Invoke-ChildPwsh @('-NoProfile', '-NonInteractive', '-Command', $script)
        if (Test-Path $summary) {
            $p = Get-Content $summary -Raw | ConvertFrom-Json
            $passed += [int] $p.passed; $failed += [int] $p.failed
            Write-Host "pester: $($p.passed) passed, $($p.failed) failed"
        } else {
            Write-Host 'pester: no summary (Pester itself failed)'
            $failed += 1
        }
    }

    Write-Host "$passed passed, $failed failed"
    if ($failed -gt 0 -or $passed -eq 0) { exit 1 }
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-Test }
    'Demo' {
        Invoke-Build
        & (Join-Path $root 'demo/demo.ps1') -ModulePath (Join-Path $moduleOut 'Patchwire.psd1')
        if (-not $?) { exit 1 }
    }
    'Bench' {
        $Configuration = 'Release'
        Invoke-Build
        $benchOut = Join-Path $out 'bench'
        New-Item -ItemType Directory -Path $benchOut -Force | Out-Null
        foreach ($bench in Get-ChildItem (Join-Path $root 'bench') -Filter '*.bench.ps1' | Sort-Object Name) {
            Write-Host "== $($bench.BaseName)"
            & $bench.FullName -ModulePath (Join-Path $moduleOut 'Patchwire.psd1') -OutputDirectory $benchOut
        }
        Write-Host "Figures in $benchOut"
    }
    'Package' {
        $Configuration = 'Release'
        Invoke-Build
        Write-Host "Copy $moduleOut into a folder of `$env:PSModulePath, then: Import-Module Patchwire"
    }
}
