<#
.SYNOPSIS
    Audit log benchmark (SPEC §13): Get-PatchwireAuditLog against 'cat agent.log* | jq' over 4 x 50 MB of log.
.DESCRIPTION
    Generates a realistic rotated log set (agent.log, .1, .2, .3; 50 MB each; 30 days; 50 users) in the writer's own
    line format, then times, in the same run:
      - cat agent.log* | jq -c 'select(.user=="X")'           (the baseline; jq is installed with apt-get if missing)
      - Get-PatchwireAuditLog -User X -Since 24h               (the last 100 matches; in this session, and as a fresh pwsh process)
      - Get-PatchwireAuditLog -User X -Since 24h -Limit 0      (every match of the day)
      - Get-PatchwireAuditLog -Limit 100
      - Get-PatchwireAuditLog -User X -Limit 0 -Raw            (the same full scan jq does, same lines out)
    and the peak working set of a separate pwsh process doing the reads, against a log a tenth the size.
    Figures go to <OutputDirectory>/audit.json.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $OutputDirectory,
    [int] $FileMegabytes = 50,
    [int] $Repeats = 3
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$ModulePath = (Resolve-Path $ModulePath).Path
$OutputDirectory = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutputDirectory)
Import-Module $ModulePath -Force
$moduleDir = Split-Path $ModulePath
$corePath = Join-Path $moduleDir 'Patchwire.Core.dll'
Add-Type -Path $corePath

Add-Type -ReferencedAssemblies @($corePath, 'netstandard', 'System.Runtime', 'System.IO', 'System.Collections') -TypeDefinition @'
using System;
using System.IO;
using Patchwire.Core.Audit;

public static class AuditBenchLog
{
    /// <summary>Writes live + rotated files of at most maxBytes each, oldest line in the highest-numbered file, as rotation would leave them.</summary>
    public static long Generate(string logPath, int files, long maxBytes, DateTimeOffset end, TimeSpan span, int users, int seed)
    {
        var random = new Random(seed);
        var projects = new[] { "team-app", "team-web", "api", "billing", "docs", "infra", "mobile", "search", "auth", "reports", "etl", "ui-kit" };
        var sampled = 0L;
        for (var i = 0; i < 4000; i++) sampled += AuditLineFormat.Serialize(Entry(random, projects, users, end, i)).Length;
        var total = (long)files * maxBytes * 4000 / sampled; // lines that fill the files, so the last one lands near 'end'
        var step = span.Ticks / total;
        var lines = 0L;
        var ts = end - span;
        for (var f = files - 1; f >= 0; f--)
        {
            var path = f == 0 ? logPath : logPath + "." + f;
            using (var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 20))
            {
                while (true)
                {
                    var line = AuditLineFormat.Serialize(Entry(random, projects, users, ts, lines));
                    if (stream.Length + line.Length > maxBytes) break;
                    stream.Write(line, 0, line.Length);
                    ts = ts.AddTicks(step);
                    lines++;
                    if (ts > end) break;
                }
            }
        }
        return lines;
    }

    private static AuditEntry Entry(Random r, string[] projects, int users, DateTimeOffset ts, long n)
    {
        var user = "dev" + (1 + r.Next(users)).ToString("00");
        var e = new AuditEntry
        {
            Timestamp = ts,
            User = user,
            Project = projects[r.Next(projects.Length)],
            PromptSha256 = AuditEntry.HashPrompt("prompt " + n),
            DurationMs = 2000 + r.Next(180000),
            QueueWaitMs = r.Next(4) == 0 ? r.Next(60000) : 0,
        };
        if (r.Next(5) == 0)
        {
            e.Route = "/chat";
            e.Uuid = Guid.NewGuid().ToString();
            e.TokensIn = 500 + r.Next(20000);
            e.TokensOut = 100 + r.Next(5000);
        }
        else
        {
            e.Route = "/ask";
            e.Files = r.Next(12);
            e.LinesAdded = r.Next(400);
            e.LinesRemoved = r.Next(200);
            e.ExitCode = r.Next(20) == 0 ? 1 : 0;
        }
        return e;
    }
}
'@

function Get-Median([double[]] $values) {
    $sorted = @($values | Sort-Object)
    return $sorted[[int][math]::Floor(($sorted.Count - 1) / 2)]
}

function Measure-Repeated([scriptblock] $Action, [int] $Count = $Repeats) {
    $times = @(foreach ($i in 1..$Count) { (Measure-Command $Action).TotalMilliseconds })
    return [math]::Round((Get-Median $times), 1)
}

# A child pwsh: under 'dotnet pwsh' the process is dotnet itself and pwsh is PSHOME/pwsh.dll.
function Invoke-ChildPwsh([string] $Command) {
    $exe = [Environment]::ProcessPath
    $arguments = [Collections.Generic.List[string]]::new()
    if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { $arguments.Add((Join-Path $PSHOME 'pwsh.dll')) }
    $arguments.AddRange([string[]]@('-NoProfile', '-NonInteractive', '-Command', $Command))
    $output = & $exe $arguments
    if ($LASTEXITCODE -ne 0) { throw "child pwsh failed ($LASTEXITCODE): $output" }
    return $output
}

if (-not (Get-Command jq -ErrorAction SilentlyContinue)) {
    Write-Host 'jq not found; installing it with apt-get'
    $sudo = if ((& id -u) -ne '0' -and (Get-Command sudo -ErrorAction SilentlyContinue)) { 'sudo' } else { $null }
    $apt = { param($a) if ($sudo) { & $sudo apt-get @a } else { & apt-get @a } }
    & $apt @('install', '-y', '-q', 'jq') 2>&1 | Out-Null
    if ($LASTEXITCODE -ne 0) { & $apt @('update', '-q') 2>&1 | Out-Null; & $apt @('install', '-y', '-q', 'jq') 2>&1 | Out-Null }
    if (-not (Get-Command jq -ErrorAction SilentlyContinue)) { throw 'jq is needed for the baseline and could not be installed with apt-get.' }
}

$work = Join-Path ([IO.Path]::GetTempPath()) ('pw-audit-bench-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
$big = Join-Path $work 'big'
$small = Join-Path $work 'small'
New-Item -ItemType Directory -Path $big, $small -Force | Out-Null
try {
    $end = [DateTimeOffset]::UtcNow
    $maxBytes = [long]$FileMegabytes * 1024 * 1024
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $lines = [AuditBenchLog]::Generate((Join-Path $big 'agent.log'), 4, $maxBytes, $end, [TimeSpan]::FromDays(30), 50, 7)
    $generateMs = $clock.ElapsedMilliseconds
    $smallLines = [AuditBenchLog]::Generate((Join-Path $small 'agent.log'), 4, [long]($maxBytes / 10), $end, [TimeSpan]::FromDays(30), 50, 7)
    $bigBytes = (Get-ChildItem $big -File | Measure-Object Length -Sum).Sum
    $smallBytes = (Get-ChildItem $small -File | Measure-Object Length -Sum).Sum
    Write-Host ("generated {0:N0} lines, {1:N1} MB in 4 files, in {2:N1} s (and {3:N1} MB for the memory comparison)" -f $lines, ($bigBytes / 1MB), ($generateMs / 1000), ($smallBytes / 1MB))

    $user = 'dev07'
    $log = Join-Path $big 'agent.log'
    $jqCommand = "cd '$big' && cat agent.log* | jq -c 'select(.user==""$user"")'"

    # Warm the page cache and both tools once, and check they agree on the lines.
    $jqLines = @(& bash -c $jqCommand)
    $ourLines = @(Get-PatchwireAuditLog -Path $log -User $user -Limit 0 -Raw)
    if ($jqLines.Count -ne $ourLines.Count) { throw "jq found $($jqLines.Count) lines of $user, Get-PatchwireAuditLog $($ourLines.Count)" }

    $jqMs = Measure-Repeated { & bash -c "$jqCommand > /dev/null" }
    $since24hMs = Measure-Repeated { Get-PatchwireAuditLog -Path $log -User $user -Since 24h | Out-Null } 5
    $since24hAllMs = Measure-Repeated { Get-PatchwireAuditLog -Path $log -User $user -Since 24h -Limit 0 | Out-Null } 5
    $since24hCount = @(Get-PatchwireAuditLog -Path $log -User $user -Since 24h -Limit 0).Count
    $last100Ms = Measure-Repeated { Get-PatchwireAuditLog -Path $log -Limit 100 | Out-Null } 5
    $fullScanMs = Measure-Repeated { Get-PatchwireAuditLog -Path $log -User $user -Limit 0 -Raw | Out-Null }
    $fullScanObjectsMs = Measure-Repeated { Get-PatchwireAuditLog -Path $log -User $user -Limit 0 | Out-Null }
    $freshProcessMs = Measure-Repeated {
        Invoke-ChildPwsh "Import-Module '$ModulePath'; Get-PatchwireAuditLog -Path '$log' -User $user -Since 24h | Out-Null" | Out-Null
    }
    $pwshStartMs = Measure-Repeated { Invoke-ChildPwsh "Import-Module '$ModulePath'" | Out-Null }

    # Peak working set of a separate pwsh process doing the read, for the full log and one a tenth its size.
    function Get-PeakMegabytes([string] $Path, [string] $Query) {
        $script = "Import-Module '$ModulePath'; $Query | Out-Null; [math]::Round([Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64 / 1MB, 1)"
        return [double](Invoke-ChildPwsh ($script -replace '\$LOG', $Path) | Select-Object -Last 1)
    }
    $memory = [ordered]@{}
    foreach ($case in @(
            @{ Name = 'importOnly'; Query = "`$null" },
            @{ Name = 'userSince24h'; Query = "Get-PatchwireAuditLog -Path '`$LOG' -User $user -Since 24h" },
            @{ Name = 'userAllLimit0'; Query = "Get-PatchwireAuditLog -Path '`$LOG' -User $user -Limit 0" },
            @{ Name = 'everyEntryLimit0'; Query = "Get-PatchwireAuditLog -Path '`$LOG' -Limit 0 -Raw" })) {
        $memory[$case.Name] = [ordered]@{
            smallLogMB = Get-PeakMegabytes (Join-Path $small 'agent.log') $case.Query
            fullLogMB  = Get-PeakMegabytes $log $case.Query
        }
    }

    $figures = [ordered]@{
        log                       = [ordered]@{ files = 4; megabytes = [math]::Round($bigBytes / 1MB, 1); lines = $lines; days = 30; users = 50; smallLogMegabytes = [math]::Round($smallBytes / 1MB, 1) }
        user                      = $user
        userLines                 = $ourLines.Count
        userLinesLast24h          = $since24hCount
        loadAverage               = if (Test-Path /proc/loadavg) { (Get-Content /proc/loadavg).Split(' ')[0] } else { $null }
        jqMs                      = $jqMs
        userSince24hMs            = $since24hMs
        userSince24hAllMs         = $since24hAllMs
        userSince24hFreshPwshMs   = $freshProcessMs
        pwshStartAndImportMs      = $pwshStartMs
        last100Ms                 = $last100Ms
        userFullScanRawMs         = $fullScanMs
        userFullScanObjectsMs     = $fullScanObjectsMs
        speedupSince24hVsJq       = [math]::Round($jqMs / [math]::Max($since24hMs, 0.1), 1)
        speedupSince24hAllVsJq    = [math]::Round($jqMs / [math]::Max($since24hAllMs, 0.1), 1)
        speedupSince24hFreshVsJq  = [math]::Round($jqMs / [math]::Max($freshProcessMs, 0.1), 1)
        speedupLast100VsJq        = [math]::Round($jqMs / [math]::Max($last100Ms, 0.1), 1)
        speedupFullScanRawVsJq    = [math]::Round($jqMs / [math]::Max($fullScanMs, 0.1), 1)
        peakWorkingSetMB          = $memory
        fasterThanJq              = ($since24hMs -lt $jqMs) -and ($since24hAllMs -lt $jqMs) -and ($freshProcessMs -lt $jqMs)
        repeats                   = $Repeats
        machine                   = [ordered]@{ cores = [Environment]::ProcessorCount; os = [Runtime.InteropServices.RuntimeInformation]::OSDescription }
    }
    New-Item -ItemType Directory -Path $OutputDirectory -Force | Out-Null
    $json = $figures | ConvertTo-Json -Depth 5
    Set-Content -Path (Join-Path $OutputDirectory 'audit.json') -Value $json
    Write-Host $json
}
finally {
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}
