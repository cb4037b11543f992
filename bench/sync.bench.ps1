#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Sync benchmark (SPEC §13, issue 15): Sync-PatchwireProject against upstream's own transport, `rsync -az --delete`
    over SSH to an sshd on 127.0.0.1, and against a local `rsync -a`, in the same run.
.DESCRIPTION
    Two trees of FileCount files: real source text copied from this machine (Python's library, the .NET SDK's text
    files, C headers…) and a generated one (~100 MB). For each: first syncs; then no-change and one-file syncs with
    the developer's index fresh (`git status` just ran) and stale (the repository copied with `cp -a`, whose index
    then matches no file's inode or ctime). The sshd runs from a throwaway config, host key and client key in a temp
    folder on a random high port; openssh-server and rsync are installed with apt-get when missing.
    Targets: no-change <= 60 ms and one-file <= 150 ms, both faster than rsync over SSH; first sync no slower than
    rsync -az over SSH. Also timed, stage by stage, where a first sync's time goes. Prints a table, writes sync.json.
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
Set-StrictMode -Version Latest
$ModulePath = (Resolve-Path $ModulePath).Path

function Install-DebianPackage([string] $Command, [string] $Package) {
    if (Get-Command $Command -ErrorAction SilentlyContinue) { return }
    Write-Host "$Command is missing; installing $Package with apt-get (the baseline of this benchmark)."
    $env:DEBIAN_FRONTEND = 'noninteractive'
    & apt-get install -y -q $Package *> $null
    if ($LASTEXITCODE -ne 0) { & apt-get update -q *> $null; & apt-get install -y -q $Package *> $null }
    if (-not (Get-Command $Command -ErrorAction SilentlyContinue)) { throw "$Package could not be installed; it is the baseline this benchmark compares against." }
}
Install-DebianPackage rsync rsync
Install-DebianPackage ssh openssh-client
if (-not (Test-Path /usr/sbin/sshd)) { Install-DebianPackage sshd openssh-server }

$work = Join-Path ([System.IO.Path]::GetTempPath()) ("pw-bench-sync-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory -Path $work | Out-Null
$saved = @{}
foreach ($name in 'PW_HOME', 'PW_AGENT_URL', 'PW_TOKEN', 'PW_USER', 'PW_PROJECTS_ROOT', 'PW_USERS_FILE', 'PW_AUDIT_LOG') { $saved[$name] = [Environment]::GetEnvironmentVariable($name) }
$agent = $null; $sshd = $null

Add-Type -TypeDefinition @'
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
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

    static readonly HashSet<string> TextExtensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".py", ".h", ".hpp", ".c", ".cc", ".cpp", ".cs", ".xml", ".targets", ".props", ".json", ".txt", ".md", ".rst", ".pm", ".pl",
        ".sh", ".js", ".ts", ".ps1", ".psm1", ".psd1", ".cmake", ".globalconfig", ".html", ".css", ".yml", ".yaml", ".toml", ".cfg", ".ini",
    };

    /// <summary>Copies up to <paramref name="files"/> text files (source, headers, build files) from <paramref name="sources"/>, in order.</summary>
    public static long CopyReal(string root, string[] sources, int files, out int copied, out string used)
    {
        long total = 0; copied = 0;
        var usedList = new List<string>();
        foreach (var source in sources)
        {
            if (!Directory.Exists(source) || copied >= files) continue;
            var name = source.Trim('/').Replace('/', '_');
            var before = copied;
            IEnumerable<string> all;
            try { all = Directory.EnumerateFiles(source, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint }).OrderBy(p => p, StringComparer.Ordinal).ToList(); }
            catch (IOException) { continue; }
            foreach (var path in all)
            {
                if (copied >= files) break;
                if (!TextExtensions.Contains(Path.GetExtension(path))) continue;
                var info = new FileInfo(path);
                if (info.Length == 0 || info.Length > 512 * 1024) continue;
                var target = Path.Combine(root, name, Path.GetRelativePath(source, path));
                Directory.CreateDirectory(Path.GetDirectoryName(target));
                File.Copy(path, target);
                total += info.Length;
                copied++;
            }
            if (copied > before) usedList.Add(source + " (" + (copied - before) + ")");
        }
        used = string.Join(", ", usedList);
        return total;
    }
}
'@

function Invoke-Checked([string] $File, [string[]] $Arguments) {
    & $File @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$File $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

function Seconds([scriptblock] $Block) { (Measure-Command $Block).TotalSeconds }
function Median([double[]] $Values) { $s = @($Values | Sort-Object); $s[[int][math]::Floor(($s.Count - 1) / 2)] }
function Flush { if (Get-Command sync -CommandType Application -ErrorAction SilentlyContinue) { & sync } }

function Start-Sshd([string] $Folder) {
    New-Item -ItemType Directory -Path $Folder | Out-Null
    Invoke-Checked ssh-keygen @('-q', '-t', 'ed25519', '-N', '', '-f', "$Folder/host_ed25519")
    Invoke-Checked ssh-keygen @('-q', '-t', 'ed25519', '-N', '', '-f', "$Folder/client_ed25519")
    Copy-Item "$Folder/client_ed25519.pub" "$Folder/authorized_keys"
    & chmod 600 "$Folder/authorized_keys" "$Folder/client_ed25519" "$Folder/host_ed25519"
    if (-not (Test-Path /run/sshd)) { New-Item -ItemType Directory -Path /run/sshd -Force | Out-Null } # sshd's privilege separation folder
    for ($attempt = 0; $attempt -lt 20; $attempt++) {
        $port = Get-Random -Minimum 20000 -Maximum 60000
        $probe = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, $port)
        try { $probe.Start(); $probe.Stop(); break } catch { $port = 0 }
    }
    if (-not $port) { throw 'No free port for sshd.' }
    @"
Port $port
ListenAddress 127.0.0.1
HostKey $Folder/host_ed25519
PidFile $Folder/sshd.pid
AuthorizedKeysFile $Folder/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
StrictModes no
Subsystem sftp internal-sftp
"@ | Set-Content "$Folder/sshd_config"
    $psi = [System.Diagnostics.ProcessStartInfo]::new('/usr/sbin/sshd')
    foreach ($a in '-D', '-e', '-f', "$Folder/sshd_config") { $psi.ArgumentList.Add($a) }
    $psi.RedirectStandardError = $true; $psi.RedirectStandardOutput = $true; $psi.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($psi)
    $null = $process.StandardOutput.ReadToEndAsync(); $errors = $process.StandardError.ReadToEndAsync()
    $ssh = "ssh -p $port -i $Folder/client_ed25519 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR"
    $deadline = [DateTime]::UtcNow.AddSeconds(30)
    while ($true) {
        & bash -c "$ssh 127.0.0.1 true" 2>$null
        if ($LASTEXITCODE -eq 0) { break }
        if ($process.HasExited -or [DateTime]::UtcNow -gt $deadline) { throw "sshd did not accept the throwaway key: $($errors.Result)" }
        Start-Sleep -Milliseconds 200
    }
    @{ Process = $process; Port = $port; Ssh = $ssh }
}

function Rsync-Ssh([string] $Source, [string] $Target) {
    # Upstream's command: rsync -az --delete over SSH (.git is not part of what it sends).
    & rsync -az --delete --exclude=.git -e $sshd.Ssh "$Source/" "127.0.0.1:$Target/"
    if ($LASTEXITCODE -ne 0) { throw "rsync over SSH failed ($LASTEXITCODE)" }
}

function Rsync-Local([string] $Source, [string] $Target) {
    & rsync -a --delete --exclude=.git "$Source/" "$Target/"
    if ($LASTEXITCODE -ne 0) { throw "rsync failed ($LASTEXITCODE)" }
}

function New-BenchRepository([string] $Path) {
    Invoke-Checked git @('-C', $Path, 'init', '-q', '-b', 'main')
    Invoke-Checked git @('-C', $Path, 'add', '-A')
    Invoke-Checked git @('-C', $Path, '-c', 'gc.auto=0', '-c', 'user.name=bench', '-c', 'user.email=bench@localhost', 'commit', '-q', '-m', 'tree')
    # Packed, as in a cloned repository; and no automatic gc running in the background while we time.
    Invoke-Checked git @('-C', $Path, '-c', 'gc.autoDetach=false', 'gc', '-q')
    Invoke-Checked git @('-C', $Path, 'config', 'gc.auto', '0')
}

function Measure-Stages([string] $Repo, [string] $Folder) {
    # Each stage of a first sync on its own, in series, with the settings the sync uses.
    New-Item -ItemType Directory -Path $Folder | Out-Null
    $index = Join-Path $Folder 'index'
    Copy-Item (Join-Path $Repo '.git/index') $index
    $snapshot = Seconds { & bash -c "cd '$Repo' && GIT_INDEX_FILE='$index' git -c core.untrackedCache=true add -A && GIT_INDEX_FILE='$index' git write-tree >/dev/null" }
    $bundleFile = Join-Path $Folder 'b.bundle'
    $bundle = Seconds { & bash -c "cd '$Repo' && git -c pack.window=0 -c pack.compression=0 bundle create --quiet '$bundleFile' HEAD" }
    $target = Join-Path $Folder 'agent'
    Invoke-Checked git @('init', '-q', $target)
    $checks = 'hasDot=error,hasDotdot=error,hasDotgit=error,fullPathname=error,emptyName=error,badFilemode=error,zeroPaddedFilemode=error'
    $head = [System.IO.File]::ReadAllBytes($bundleFile) | Select-Object -First 65536
    $packStart = 0
    for ($i = 0; $i + 1 -lt $head.Count; $i++) { if ($head[$i] -eq 10 -and $head[$i + 1] -eq 10) { $packStart = $i + 2; break } }
    $indexPack = Seconds { & bash -c "cd '$target' && tail -c +$($packStart + 1) '$bundleFile' | git index-pack --stdin --fix-thin --strict=$checks >/dev/null" }
    $commit = (& git -C $Repo rev-parse HEAD).Trim()
    $checkout = Seconds { & bash -c "cd '$target' && git -c checkout.workers=0 -c core.fsync=none checkout -q -f --detach $commit" }
    & bash -c "cd '$target' && find . -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} + && rm -f .git/index"
    $checkoutSerial = Seconds { & bash -c "cd '$target' && git -c checkout.workers=1 -c core.fsync=none checkout -q -f --detach $commit" }
    [ordered]@{
        snapshotSeconds = [math]::Round($snapshot, 3); bundleSeconds = [math]::Round($bundle, 3); bundleBytes = (Get-Item $bundleFile).Length
        indexPackStrictSeconds = [math]::Round($indexPack, 3); checkoutParallelSeconds = [math]::Round($checkout, 3); checkoutOneWorkerSeconds = [math]::Round($checkoutSerial, 3)
        seriesSeconds = [math]::Round($snapshot + $bundle + $indexPack + $checkout, 3)
    }
}

function Measure-Tree([string] $Name, [string] $Repo, [long] $TreeBytes, [string] $Source) {
    Write-Host "== $Name tree: $FileCount files, $([math]::Round($TreeBytes / 1MB, 1)) MB"
    $remote = Join-Path $work "ssh-$Name"; $local = Join-Path $work "local-$Name"
    $project = "$Name-0"
    & git -C $Repo status --porcelain | Out-Null # the developer's index, fresh

    # --- first syncs, alternating with rsync into fresh targets (a new project name is a first sync again) ---
    $firstOurs = @(); $firstSsh = @(); $firstLocal = @(); $first = $null
    foreach ($i in 1..$FirstSyncRepeats) {
        foreach ($t in $remote, $local) { if (Test-Path $t) { Remove-Item $t -Recurse -Force } }
        Flush; $firstSsh += Seconds { Rsync-Ssh $Repo $remote }
        Flush; $firstLocal += Seconds { Rsync-Local $Repo $local }
        Flush
        $project = "$Name-$i"
        $firstOurs += Seconds { $script:first = Sync-PatchwireProject -Path $Repo -Project $project }
        if (-not $script:first.Transferred -or -not $script:first.Full) { throw 'A first sync did not send the whole tree.' }
    }
    $checkout = Join-Path $env:PW_HOME "projects/bench/$project"
    $agentFiles = @(Get-ChildItem $checkout -Recurse -File -Force | Where-Object { $_.FullName -notmatch '[\\/]\.git[\\/]' }).Count
    if ($agentFiles -ne $FileCount) { throw "The agent's checkout holds $agentFiles files, expected $FileCount." }
    Flush

    $rows = [ordered]@{}
    $rows['first sync'] = @{ ours = $firstOurs; ssh = $firstSsh; local = $firstLocal; bytes = $script:first.BytesSent }

    $files = @(& git -C $Repo ls-files | Select-Object -First ($Repeats * 7))
    foreach ($state in 'fresh', 'stale') {
        $tree = $Repo
        if ($state -eq 'stale') {
            # cp -a: same content and mtimes, new inodes and ctimes, so the copied index matches no file. rsync's
            # size+mtime check is unaffected; git's must look at every file once.
            $tree = "$Repo-copy"
            Invoke-Checked cp @('-a', $Repo, $tree)
            $once = Seconds { $r = Sync-PatchwireProject -Path $tree -Project $project; if ($r.Transferred) { throw 'The copy sent something.' } }
            $rows['first sync after cp -a (hashes every file once)'] = @{ ours = @($once); ssh = @(Seconds { Rsync-Ssh $tree $remote }); local = @(Seconds { Rsync-Local $tree $local }) }
        }
        $noOurs = @(); $noSsh = @(); $noLocal = @()
        foreach ($i in 1..$Repeats) {
            if ($state -eq 'fresh') { & git -C $tree status --porcelain | Out-Null }
            $noOurs += Seconds { $r = Sync-PatchwireProject -Path $tree -Project $project; if ($r.Transferred) { throw 'A no-change sync sent something.' } }
            $noSsh += Seconds { Rsync-Ssh $tree $remote }
            $noLocal += Seconds { Rsync-Local $tree $local }
        }
        $rows["no change, index $state"] = @{ ours = $noOurs; ssh = $noSsh; local = $noLocal }
        $oneOurs = @(); $oneSsh = @(); $oneLocal = @(); $bytes = 0
        foreach ($i in 1..$Repeats) {
            $file = Join-Path $tree $files[($i * 7 + ($state -eq 'stale' ? 3 : 0)) % $files.Count]
            Add-Content -Path $file -Value "// edit $state $i $(Get-Date -Format o)"
            if ($state -eq 'fresh') { & git -C $tree status --porcelain | Out-Null }
            $oneOurs += Seconds { $script:one = Sync-PatchwireProject -Path $tree -Project $project }
            if (-not $script:one.Transferred -or $script:one.Full) { throw 'A one-file sync was not incremental.' }
            $bytes = [math]::Max($bytes, $script:one.BytesSent)
            $oneSsh += Seconds { Rsync-Ssh $tree $remote }
            $oneLocal += Seconds { Rsync-Local $tree $local }
        }
        $rows["one file changed, index $state"] = @{ ours = $oneOurs; ssh = $oneSsh; local = $oneLocal; bytes = $bytes }
    }
    $stages = Measure-Stages $Repo (Join-Path $work "stages-$Name")

    $table = [ordered]@{}
    foreach ($k in $rows.Keys) {
        $row = $rows[$k]
        $table[$k] = [ordered]@{
            oursSeconds = [math]::Round((Median $row.ours), 3); rsyncSshSeconds = [math]::Round((Median $row.ssh), 3); rsyncLocalSeconds = [math]::Round((Median $row.local), 3)
            oursAll = @($row.ours | ForEach-Object { [math]::Round($_, 3) }); rsyncSshAll = @($row.ssh | ForEach-Object { [math]::Round($_, 3) })
            bytesSent = if ($row.ContainsKey('bytes')) { $row.bytes } else { $null }
        }
    }
    $targets = [ordered]@{
        firstSyncNoSlowerThanRsyncSsh = $table['first sync'].oursSeconds -le $table['first sync'].rsyncSshSeconds
    }
    foreach ($state in 'fresh', 'stale') {
        $no = $table["no change, index $state"]; $one = $table["one file changed, index $state"]
        $targets["noChange60msIndex$state"] = $no.oursSeconds -le 0.060
        $targets["noChangeFasterThanRsyncSshIndex$state"] = $no.oursSeconds -lt $no.rsyncSshSeconds
        $targets["oneFile150msIndex$state"] = $one.oursSeconds -le 0.150
        $targets["oneFileFasterThanRsyncSshIndex$state"] = $one.oursSeconds -lt $one.rsyncSshSeconds
    }
    [ordered]@{ tree = $Name; source = $Source; files = $FileCount; treeBytes = $TreeBytes; rows = $table; firstSyncStages = $stages; targets = $targets }
}

try {
    $env:PW_HOME = Join-Path $work 'home'
    New-Item -ItemType Directory -Path $env:PW_HOME | Out-Null
    Import-Module $ModulePath -Force

    # --- the trees ---
    $realRepo = Join-Path $work 'real'
    $sources = @('/usr/lib/python3.11', '/usr/lib/python3', '/usr/share/dotnet/sdk', '/usr/share/dotnet/packs', '/usr/include', '/usr/share/cmake-3.25',
        '/usr/lib/node_modules', '/usr/share/perl', '/usr/lib/google-cloud-sdk', '/usr/share/doc', '/usr/lib', '/usr/share')
    $copied = 0; $used = ''
    $realBytes = [PwBenchTree]::CopyReal($realRepo, $sources, $FileCount, [ref] $copied, [ref] $used)
    $trees = @()
    if ($copied -ge $FileCount) { New-BenchRepository $realRepo; $trees += , @('real', $realRepo, $realBytes, $used) }
    else { Write-Warning "Only $copied text files found on this machine; the real-source tree is skipped." }
    $genRepo = Join-Path $work 'generated'
    New-Item -ItemType Directory -Path $genRepo | Out-Null
    $genBytes = [PwBenchTree]::Generate($genRepo, $FileCount, $AverageFileBytes, 42)
    New-BenchRepository $genRepo
    $trees += , @('generated', $genRepo, $genBytes, 'generated text')

    # --- the agent on loopback, a user, and the sshd ---
    $agentDll = Join-Path (Split-Path $ModulePath) 'agent/patchwire-agent.dll'
    $psi = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
    $psi.ArgumentList.Add($agentDll); $psi.ArgumentList.Add('serve')
    $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true; $psi.UseShellExecute = $false
    foreach ($k in @($psi.Environment.Keys)) { if ($k -like 'PW_*') { $psi.Environment.Remove($k) | Out-Null } }
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
    $sshd = Start-Sshd (Join-Path $work 'sshd')
    # Warm-up: the module's and the agent's first request pay for JIT compilation.
    $warm = Join-Path $work 'warm'; New-Item -ItemType Directory $warm | Out-Null; Set-Content "$warm/a.txt" 'a'
    $null = Sync-PatchwireProject -Path $warm -Project warm; $null = Sync-PatchwireProject -Path $warm -Project warm

    $results = foreach ($t in $trees) { Measure-Tree $t[0] $t[1] $t[2] $t[3] }

    foreach ($r in $results) {
        Write-Host ""
        Write-Host "$($r.tree) tree ($($r.files) files, $([math]::Round($r.treeBytes / 1MB, 1)) MB; $($r.source))"
        Write-Host ('| {0,-50} | {1,8} | {2,20} | {3,14} |' -f '', 'ours', 'rsync -az over SSH', 'rsync -a local')
        Write-Host ('|{0}|{1}|{2}|{3}|' -f ('-' * 52), ('-' * 10), ('-' * 22), ('-' * 16))
        foreach ($k in $r.rows.Keys) {
            $row = $r.rows[$k]
            $ratio = if ($row.oursSeconds -gt 0) { ' (x{0:0.00})' -f ($row.rsyncSshSeconds / $row.oursSeconds) } else { '' }
            Write-Host ('| {0,-50} | {1,7:0.000}s | {2,20} | {3,13:0.000}s |' -f $k, $row.oursSeconds, (('{0:0.000}s' -f $row.rsyncSshSeconds) + $ratio), $row.rsyncLocalSeconds)
        }
        $s = $r.firstSyncStages
        Write-Host ("first sync stages, in series: snapshot {0:0.000}s, bundle {1:0.000}s ({2:0.0} MB), index-pack --strict {3:0.000}s, checkout {4:0.000}s (one worker {5:0.000}s); sum {6:0.000}s" -f `
            $s.snapshotSeconds, $s.bundleSeconds, ($s.bundleBytes / 1MB), $s.indexPackStrictSeconds, $s.checkoutParallelSeconds, $s.checkoutOneWorkerSeconds, $s.seriesSeconds)
        Write-Host ("targets: " + (($r.targets.GetEnumerator() | ForEach-Object { "$($_.Key)=$($_.Value)" }) -join ', '))
    }
    $report = [ordered]@{
        loadAverage = if (Test-Path /proc/loadavg) { (Get-Content /proc/loadavg).Split(' ')[0..2] -join ' ' } else { $null }
        cores = [Environment]::ProcessorCount
        rsyncOverSsh = 'rsync -az --delete --exclude=.git -e "ssh -p PORT -i KEY" to an sshd on 127.0.0.1'
        trees = @($results)
    }
    New-Item -ItemType Directory -Path $OutputDirectory -Force | Out-Null
    $report | ConvertTo-Json -Depth 8 | Set-Content -Path (Join-Path $OutputDirectory 'sync.json')
    Write-Host "Wrote $(Join-Path $OutputDirectory 'sync.json')"
}
finally {
    if ($agent -and -not $agent.HasExited) { $agent.Kill($true); $agent.WaitForExit() }
    if ($sshd -and -not $sshd.Process.HasExited) { $sshd.Process.Kill(); $sshd.Process.WaitForExit() }
    foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}
