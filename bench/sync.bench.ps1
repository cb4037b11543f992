#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Sync benchmark (SPEC §13): a generated repository of 10,000 files (~100 MB) synced to a real agent on
    loopback, against `rsync -a` of the same tree to a local folder timed in the same run.
.DESCRIPTION
    Targets: first sync no slower than rsync; a no-change sync under 0.3 s; a one-file change under 0.5 s.
    Times are wall-clock through the cmdlet (Sync-PatchwireProject), so they include PowerShell, git, HTTP,
    the agent's index-pack and checkout. Writes sync.json to -OutputDirectory.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $OutputDirectory,
    [int] $FileCount = 10000,
    [int] $AverageFileBytes = 10000,
    [int] $Repeats = 5,
    [int] $FirstSyncRepeats = 3
)

$ErrorActionPreference = 'Stop'
$ModulePath = (Resolve-Path $ModulePath).Path
Set-StrictMode -Version Latest

if (-not (Get-Command rsync -ErrorAction SilentlyContinue)) {
    Write-Host 'rsync is missing; installing it with apt-get (the baseline of this benchmark).'
    & apt-get install -y -q rsync *> $null
    if ($LASTEXITCODE -ne 0) { & apt-get update -q *> $null; & apt-get install -y -q rsync *> $null }
    if (-not (Get-Command rsync -ErrorAction SilentlyContinue)) { throw 'rsync could not be installed; it is the baseline this benchmark compares against.' }
}

$work = Join-Path ([System.IO.Path]::GetTempPath()) ("pw-bench-sync-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory -Path $work | Out-Null
$saved = @{}
foreach ($name in 'PW_HOME', 'PW_AGENT_URL', 'PW_TOKEN', 'PW_USER', 'PW_PROJECTS_ROOT', 'PW_USERS_FILE', 'PW_AUDIT_LOG') { $saved[$name] = [Environment]::GetEnvironmentVariable($name) }
$agent = $null
try {
    $env:PW_HOME = Join-Path $work 'home'
    New-Item -ItemType Directory -Path $env:PW_HOME | Out-Null
    Import-Module $ModulePath -Force

    # --- the generated repository: source-like text files in nested folders, committed ---
    $repo = Join-Path $work 'bench-repo'
    Write-Host "Generating $FileCount files (~$([math]::Round($FileCount * $AverageFileBytes / 1MB)) MB)…"
    Add-Type -TypeDefinition @'
using System;
using System.IO;
using System.Text;
public static class PwBenchTree
{
    public static long Generate(string root, int files, int averageBytes, int seed)
    {
        var random = new Random(seed);
        var words = new string[600];
        for (var i = 0; i < words.Length; i++)
        {
            var length = 3 + random.Next(10);
            var chars = new char[length];
            for (var c = 0; c < length; c++) chars[c] = (char)('a' + random.Next(26));
            words[i] = new string(chars);
        }
        long total = 0;
        var text = new StringBuilder();
        for (var f = 0; f < files; f++)
        {
            var dir = Path.Combine(root, "src", "module" + (f / 500), "part" + (f / 50 % 10));
            Directory.CreateDirectory(dir);
            var target = averageBytes / 2 + random.Next(averageBytes);
            text.Clear();
            var indent = 0;
            while (text.Length < target)
            {
                text.Append(' ', indent * 4);
                var n = 2 + random.Next(8);
                for (var w = 0; w < n; w++) { text.Append(words[random.Next(words.Length)]); text.Append(w == n - 1 ? ";" : (random.Next(4) == 0 ? "(" : " ")); }
                text.Append(' ').Append(random.Next(100000)).Append('\n');
                indent = Math.Max(0, Math.Min(4, indent + random.Next(3) - 1));
            }
            var bytes = Encoding.UTF8.GetBytes(text.ToString());
            File.WriteAllBytes(Path.Combine(dir, "file" + f + ".txt"), bytes);
            total += bytes.Length;
        }
        return total;
    }
}
'@
    New-Item -ItemType Directory -Path $repo | Out-Null
    $treeBytes = [PwBenchTree]::Generate($repo, $FileCount, $AverageFileBytes, 42)
    & git -C $repo init -q -b main
    & git -C $repo add -A
    & git -C $repo -c gc.auto=0 -c user.name=bench -c user.email=bench@localhost commit -q -m 'generated tree'
    if ($LASTEXITCODE -ne 0) { throw 'git commit of the generated tree failed' }
    # Packed, as in a cloned repository; and no automatic gc running in the background while we time.
    & git -C $repo -c gc.autoDetach=false gc -q
    & git -C $repo config gc.auto 0

    # --- the agent on loopback, and a user ---
    $agentDll = Join-Path (Split-Path $ModulePath) 'agent/patchwire-agent.dll'
    $agentOut = Join-Path $work 'agent.out'
    $psi = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
    $psi.ArgumentList.Add($agentDll); $psi.ArgumentList.Add('serve')
    $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true; $psi.UseShellExecute = $false
    $psi.Environment['PW_HOME'] = $env:PW_HOME
    $psi.Environment['PW_AGENT_PORT'] = '0'
    $psi.Environment['PW_AGENT_HOST'] = '127.0.0.1'
    $agent = [System.Diagnostics.Process]::Start($psi)
    $url = $null
    $deadline = [DateTime]::UtcNow.AddSeconds(60)
    while (-not $url -and [DateTime]::UtcNow -lt $deadline) {
        $line = $agent.StandardOutput.ReadLine()
        if ($null -eq $line) { throw "The agent exited: $($agent.StandardError.ReadToEnd())" }
        if ($line -match '^patchwire-agent listening on (http://\S+)$') { $url = $Matches[1] }
    }
    if (-not $url) { throw 'The agent did not start.' }
    $null = $agent.StandardOutput.ReadToEndAsync(); $null = $agent.StandardError.ReadToEndAsync()
    $env:PW_TOKEN = (New-PatchwireUser -Name bench).Token
    $env:PW_AGENT_URL = $url

    # --- first syncs against rsync -a of the same files (not .git, which sync never sends either) to a local folder,
    #     alternating, each into a fresh target (a new project name is a first sync again); medians compared ---
    function Flush { if (Get-Command sync -CommandType Application -ErrorAction SilentlyContinue) { & sync } }
    $rsyncTimes = @(); $firstTimes = @(); $first = $null
    foreach ($i in 1..$FirstSyncRepeats) {
        Flush
        $target = Join-Path $work "rsync-copy-$i"
        $t = Measure-Command { & rsync -a --exclude=.git "$repo/" "$target/" }
        if ($LASTEXITCODE -ne 0) { throw 'rsync failed' }
        $rsyncTimes += $t.TotalSeconds
        Remove-Item $target -Recurse -Force
        Flush
        $project = "bench-$i"
        $t = Measure-Command { $first = Sync-PatchwireProject -Path $repo -Project $project }
        if (-not $first.Transferred -or -not $first.Full) { throw 'A first sync did not send the whole tree.' }
        $firstTimes += $t.TotalSeconds
    }
    $checkout = Join-Path $env:PW_HOME "projects/bench/$project"
    $agentFiles = @(Get-ChildItem $checkout -Recurse -File -Force | Where-Object { $_.FullName -notmatch '[\\/]\.git[\\/]' }).Count
    if ($agentFiles -ne $FileCount) { throw "The agent's checkout holds $agentFiles files, expected $FileCount." }

    # --- no-change syncs (after the first syncs' ~450 MB of writes have reached the disk, as they long have when a
    #     developer syncs again; otherwise the kernel's write-back of them is what gets timed) ---
    Flush
    $noChange = foreach ($i in 1..$Repeats) {
        $r = $null
        $t = Measure-Command { $r = Sync-PatchwireProject -Path $repo -Project $project }
        if ($r.Transferred) { throw 'A no-change sync sent something.' }
        $t.TotalSeconds
    }

    # --- one-file changes (a different file each time) ---
    $oneFileBytes = @()
    $oneFile = foreach ($i in 1..$Repeats) {
        $file = Join-Path $repo "src/module$($i)/part0/file$($i * 500).txt"
        Add-Content -Path $file -Value "// edit $i $(Get-Date -Format o)"
        $r = $null
        $t = Measure-Command { $r = Sync-PatchwireProject -Path $repo -Project $project }
        if (-not $r.Transferred -or $r.Full) { throw 'A one-file sync was not incremental.' }
        $oneFileBytes += $r.BytesSent
        $t.TotalSeconds
    }
    $edited = Get-Content -Raw (Join-Path $checkout "src/module$Repeats/part0/file$($Repeats * 500).txt")
    if ($edited -notmatch "// edit $Repeats ") { throw "The agent's checkout does not hold the last edit." }

    function Median([double[]] $values) { $s = @($values | Sort-Object); $s[[int][math]::Floor(($s.Count - 1) / 2)] }
    $rsyncMedian = Median $rsyncTimes
    $firstMedian = Median $firstTimes
    $result = [ordered]@{
        files                    = $FileCount
        treeBytes                = $treeBytes
        rsyncSeconds             = @($rsyncTimes | ForEach-Object { [math]::Round($_, 3) })
        firstSyncSeconds         = @($firstTimes | ForEach-Object { [math]::Round($_, 3) })
        rsyncSecondsMedian       = [math]::Round($rsyncMedian, 3)
        firstSyncSecondsMedian   = [math]::Round($firstMedian, 3)
        firstSyncVsRsync         = [math]::Round($firstMedian / $rsyncMedian, 2)
        firstSyncBundleBytes     = $first.BytesSent
        noChangeSeconds          = @($noChange | ForEach-Object { [math]::Round($_, 3) })
        noChangeSecondsMedian    = [math]::Round((Median $noChange), 3)
        oneFileSeconds           = @($oneFile | ForEach-Object { [math]::Round($_, 3) })
        oneFileSecondsMedian     = [math]::Round((Median $oneFile), 3)
        oneFileBundleBytesMax    = ($oneFileBytes | Measure-Object -Maximum).Maximum
        loadAverage              = if (Test-Path /proc/loadavg) { (Get-Content /proc/loadavg).Split(' ')[0..2] -join ' ' } else { $null }
        targetFirstSyncNoSlowerThanRsync = $firstMedian -le $rsyncMedian
        targetNoChangeUnder300ms = (Median $noChange) -lt 0.3
        targetOneFileUnder500ms  = (Median $oneFile) -lt 0.5
    }
    New-Item -ItemType Directory -Path $OutputDirectory -Force | Out-Null
    $json = $result | ConvertTo-Json
    Set-Content -Path (Join-Path $OutputDirectory 'sync.json') -Value $json
    Write-Host $json
}
finally {
    if ($agent -and -not $agent.HasExited) { $agent.Kill($true); $agent.WaitForExit() }
    foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}
