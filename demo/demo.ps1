<#
.SYNOPSIS
    Patchwire end to end, offline, on loopback, in temporary folders (./build.ps1 Demo).
.DESCRIPTION
    An agent whose "AI" is demo/stand-in-ai.ps1 (a script that edits files deterministically, not an AI),
    two developers with their own laptop folders and tokens, concurrent asks that queue, a diff previewed
    and applied locally, a chat turn, a policy refusal, then the queue, the audit log and usage as objects,
    and a detached run collected as a PowerShell job from a new pwsh, with the webhook the box sends when it ends.
#>
param([Parameter(Mandatory)] [string] $ModulePath)

$ErrorActionPreference = 'Stop'
$ModulePath = (Resolve-Path $ModulePath).Path
Import-Module $ModulePath -Force
$moduleDir = Split-Path $ModulePath

function Step([string] $text) { Write-Host ''; Write-Host "== $text" -ForegroundColor Cyan }

# 'dotnet pwsh' runs PowerShell inside the dotnet host; children are started the same way.
$self = [Environment]::ProcessPath
[string[]] $pwshPrefix = @(if ([IO.Path]::GetFileNameWithoutExtension($self) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })
$dotnet = if ([IO.Path]::GetFileNameWithoutExtension($self) -eq 'dotnet') { $self } else { 'dotnet' }

function Start-Child([hashtable] $Environment, [string] $Command, [string] $Log) {
    $psi = [System.Diagnostics.ProcessStartInfo]::new($self)
    foreach ($a in $pwshPrefix + @('-NoProfile', '-NonInteractive', '-Command', "Import-Module '$ModulePath'; $Command")) { $psi.ArgumentList.Add($a) }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    foreach ($kv in $Environment.GetEnumerator()) { $psi.Environment[$kv.Key] = $kv.Value }
    $p = [System.Diagnostics.Process]::Start($psi)
    $out = $p.StandardOutput.ReadToEndAsync()
    $err = $p.StandardError.ReadToEndAsync()
    [pscustomobject]@{ Process = $p; Stdout = $out; Stderr = $err; Log = $Log }
}

function New-SampleProject([string] $Path) {
    New-Item -ItemType Directory -Path $Path -Force | Out-Null
    Set-Content (Join-Path $Path 'client.py') "from urllib.request import urlopen`n`n`ndef fetch(url):`n    return urlopen(url).read()`n" -NoNewline
    Set-Content (Join-Path $Path 'README.md') "# team-app`n"
    Set-Content (Join-Path $Path '.gitignore') ".env`n"
    Set-Content (Join-Path $Path '.env') "API_KEY=do-not-leak-me`n"
    git -C $Path init -q -b main
    git -C $Path add -A
    git -C $Path -c user.name=Demo -c user.email=demo@patchwire.invalid commit -q -m 'initial'
}

$work = Join-Path ([IO.Path]::GetTempPath()) ("patchwire-demo-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
$boxHome = Join-Path $work 'box'
New-Item -ItemType Directory -Path $boxHome -Force | Out-Null
$agent = $null
$hook = $null
$saved = @{}
foreach ($name in 'PW_HOME', 'PW_TOKEN', 'PW_USER', 'PW_AGENT_URL') { $saved[$name] = [Environment]::GetEnvironmentVariable($name); Remove-Item "env:$name" -ErrorAction SilentlyContinue }
$savedLocation = Get-Location
try {
    Step "The box: an agent on loopback, 1 run at a time (so asks queue), its AI a bundled stand-in script"
    $psi = [System.Diagnostics.ProcessStartInfo]::new($dotnet)
    $psi.ArgumentList.Add((Join-Path $moduleDir 'agent/patchwire-agent.dll'))
    $psi.ArgumentList.Add('serve')
    $psi.RedirectStandardOutput = $true
    $psi.UseShellExecute = $false
    $psi.Environment['PW_HOME'] = $boxHome
    $psi.Environment['PW_AGENT_PORT'] = '0'
    $psi.Environment['PW_AI_BIN'] = $dotnet
    $psi.Environment['PW_AI_ARGS'] = (@($pwshPrefix | ForEach-Object { "`"$_`"" }) + @('-NoProfile', '-NonInteractive', '-File', "`"$(Join-Path $moduleDir 'demo/stand-in-ai.ps1')`"")) -join ' '
    $psi.Environment['PW_DEMO_AI_SECONDS'] = '1'
    # The stand-in runs from the module folder and waits on a gate file in a temp folder, which the AI sandbox would hide;
    # the AI's environment is an allowlist, so its two knobs are named in PW_AI_ENV.
    $psi.Environment['PW_SANDBOX'] = 'off'
    $psi.Environment['PW_AI_ENV'] = 'PW_DEMO_AI_SECONDS,PW_DEMO_GATE'
    $gate = Join-Path $work 'gate-open'
    $psi.Environment['PW_DEMO_GATE'] = $gate
    $psi.Environment['PW_MAX_CONCURRENT_TOTAL'] = '1'
    $psi.Environment['PW_MAX_CONCURRENT_PER_USER'] = '1'
    $psi.Environment['PW_LAST_SEEN_FLUSH_SEC'] = '1'
    # The detached-run step near the end: a tiny local listener receives the webhook the agent POSTs when a run ends.
    $hook = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0); $hook.Start()
    $psi.Environment['PW_NOTIFY_WEBHOOK'] = "http://127.0.0.1:$($hook.LocalEndpoint.Port)/patchwire-runs"
    $agent = [System.Diagnostics.Process]::Start($psi)
    $line = $agent.StandardOutput.ReadLine()
    Write-Host $line
    Write-Host $agent.StandardOutput.ReadLine()
    $url = ($line -split ' ')[-1]

    Step 'The admin adds two developers (each token is shown once; only its SHA-256 is stored)'
    $env:PW_HOME = $boxHome
    $ana = New-PatchwireUser ana
    $ben = New-PatchwireUser ben
    Get-PatchwireUser | Format-Table | Out-Host
    Invoke-RestMethod "$url/health" | ConvertTo-Json -Compress | Out-Host

    Step 'A disabled user gets 403 on the very next request; enabling works at once too'
    Disable-PatchwireUser ben
    try { Invoke-RestMethod "$url/me" -Headers @{ Authorization = "Bearer $($ben.Token)" } | Out-Null }
    catch { Write-Host "ben: $([int]$_.Exception.Response.StatusCode) $($_.ErrorDetails.Message | ConvertFrom-Json | ConvertTo-Json -Compress)" }
    Enable-PatchwireUser ben
    Write-Host "ben: $(Invoke-RestMethod "$url/me" -Headers @{ Authorization = "Bearer $($ben.Token)" } | ConvertTo-Json -Compress)"

    Step 'Each developer sets up their laptop once: patchwire setup --token … (checked with GET /me)'
    $laptops = @{}
    foreach ($dev in @(@{ Name = 'ana'; Token = $ana.Token }, @{ Name = 'ben'; Token = $ben.Token })) {
        $home_ = Join-Path $work "$($dev.Name)-laptop"
        $env:PW_HOME = Join-Path $home_ '.patchwire'
        patchwire setup --token $dev.Token --agent-url $url | Out-Host
        New-SampleProject (Join-Path $home_ 'team-app')
        $laptops[$dev.Name] = $home_
    }
    Write-Host "Both laptops hold a project named team-app, with an ignored .env secret and uncommitted work to come."
    Add-Content (Join-Path $laptops.ana 'team-app/README.md') 'Uncommitted note from ana: never committed, still synced.'

    Step 'Three asks at once (ben twice, ana once): the box runs one at a time, the rest wait in line'
    $benEnv = @{ PW_HOME = (Join-Path $laptops.ben '.patchwire') }
    $anaEnv = @{ PW_HOME = (Join-Path $laptops.ana '.patchwire') }
    $benProject = Join-Path $laptops.ben 'team-app'
    $anaProject = Join-Path $laptops.ana 'team-app'
    $first = Start-Child $benEnv "Set-Location '$benProject'; patchwire ask 'add tests for the client' --yes" 'ben #1'
    $env:PW_HOME = $anaEnv.PW_HOME
    Set-Location $anaProject
    function Wait-Queue([scriptblock] $Until) {
        $deadline = (Get-Date).AddSeconds(30)
        while ((Get-Date) -lt $deadline) {
            $q = Get-PatchwireQueue
            if (& $Until $q) { return $q }
            Start-Sleep -Milliseconds 100
        }
    }
    Wait-Queue { param($q) $q.RunningCount -ge 1 } | Out-Null
    $second = Start-Child $anaEnv "Set-Location '$anaProject'; patchwire ask 'add retries to the client' --yes" 'ana'
    Wait-Queue { param($q) $q.WaitingCount -ge 1 } | Out-Null
    $third = Start-Child $benEnv "Set-Location '$benProject'; patchwire ask 'remember to update the changelog' --save-only" 'ben #2'
    $snapshot = Wait-Queue { param($q) $q.WaitingCount -ge 2 }
    Write-Host 'Get-PatchwireQueue while they wait (ben runs; ana waits first, ben''s second ask behind her):'
    $snapshot | Out-Host
    $snapshot.Queued | Format-Table User, Position | Out-Host
    New-Item -ItemType File -Path $gate | Out-Null   # the stand-in AI waits for this, so the queue above is full whatever the machine's speed

    foreach ($child in $first, $second, $third) {
        $child.Process.WaitForExit()
        Write-Host ''
        Write-Host "--- patchwire ask, as $($child.Log) saw it (exit $($child.Process.ExitCode)):" -ForegroundColor Yellow
        Write-Host $child.Stdout.Result.TrimEnd()
        if ($child.Stderr.Result.Trim()) { Write-Host $child.Stderr.Result.TrimEnd() -ForegroundColor Red }
    }

    Step "ana's laptop: the diff was applied locally; HEAD and her uncommitted work are untouched"
    git -C $anaProject status --short | Out-Host
    git -C $anaProject --no-pager diff -- client.py | Out-Host
    $leaked = Test-Path (Join-Path $boxHome 'projects/ana/team-app/.env')
    Write-Host ".env on the box: $(if ($leaked) { 'LEAKED' } else { 'never sent (it is in .gitignore)' })"

    Step 'The same from PowerShell: Invoke-PatchwireAsk returns an object; review it, then apply'
    $result = Invoke-PatchwireAsk 'document the change in the notes' -ProgressAction SilentlyContinue
    $result | Out-Host
    $result | Invoke-PatchwirePatch -Confirm:$false | Out-Host
    Write-Host "NOTES.md on ana's laptop now reads: $(Get-Content (Join-Path $anaProject 'NOTES.md') -Raw)"

    Step 'A chat turn: the reply streams as the AI writes it; the turn object carries session, files and tokens'
    $turn = Invoke-PatchwireChat 'write down what we discussed' -ProgressAction SilentlyContinue
    $turn | Format-List SessionId, TurnIndex, Files, TokensIn, TokensOut, Duration | Out-Host

    Step "Team controls: the admin limits ben to docs-* projects; his next ask gets upstream's 403 (no restart)"
    $laptopHome = $env:PW_HOME
    $env:PW_HOME = $boxHome
    Set-PatchwireUserPolicy ben -Project 'docs-*' -RateLimit 50 -Per 1h
    Get-PatchwireUserPolicy | Out-Host
    try {
        Invoke-RestMethod "$url/ask" -Method Post -Headers @{ Authorization = "Bearer $($ben.Token)" } -ContentType 'application/json' -Body '{"prompt":"x","project":"team-app"}' | Out-Null
    }
    catch { $body = $_.ErrorDetails.Message | ConvertFrom-Json; Write-Host "ben: $([int]$_.Exception.Response.StatusCode) error=$($body.error) message=`"$($body.message)`"" }
    Set-PatchwireUserPolicy ben -ClearProjects -ClearRateLimit
    $env:PW_HOME = $laptopHome

    Step 'The queue is empty again; the admin reads the paper trail as objects (prompts only as SHA-256)'
    Get-PatchwireQueue | Out-Host
    $env:PW_HOME = $boxHome
    Get-PatchwireAuditLog | Format-Table | Out-Host
    Get-PatchwireAuditLog -Limit 0 | Group-Object User | Select-Object Name, Count | Out-Host
    Get-PatchwireUsage | Out-Host                          # per user: requests, lines, tokens, cost, time
    patchwire-agent usage --by project | Out-Host
    Get-PatchwireUser | Format-Table | Out-Host

    # --- Detached runs (issue 13): one contiguous block ---
    Step 'A detached run: Start-PatchwireAsk returns a PowerShell job at once; the run goes on on the box without the laptop'
    $env:PW_HOME = $anaEnv.PW_HOME
    Set-Location $anaProject
    $job = Start-PatchwireAsk 'write the release notes' -ProgressAction SilentlyContinue
    $job | Format-Table Id, Name, PSJobTypeName, State, Project | Out-Host
    Write-Host 'A new pwsh (as after closing the lid) finds it with Get-Job through the agent, receives the result and applies it:'
    $later = Start-Child $anaEnv "Set-Location '$anaProject'; `$j = Get-Job -Name 'Patchwire-*'; `$j | Format-Table Name, State, Location | Out-String; `$j | Wait-Job | Receive-Job | Invoke-PatchwirePatch -Confirm:`$false | Format-Table Method, Files | Out-String" 'ana, later'
    $later.Process.WaitForExit()
    Write-Host $later.Stdout.Result.TrimEnd()
    if ($later.Stderr.Result.Trim()) { Write-Host $later.Stderr.Result.TrimEnd() -ForegroundColor Red }
    Write-Host "The box POSTed to PW_NOTIFY_WEBHOOK when the run ended (user, project, state, files, duration; never the prompt or the diff):"
    $accept = $hook.AcceptTcpClientAsync()
    if ($accept.Wait([TimeSpan]::FromSeconds(30))) {
        $client = $accept.Result
        $stream = $client.GetStream()
        $reader = [System.IO.StreamReader]::new($stream, [System.Text.Encoding]::UTF8, $false, 4096, $true)
        $request = $reader.ReadLine()
        $length = 0
        while (($header = $reader.ReadLine())) { if ($header -match '^Content-Length:\s*(\d+)') { $length = [int]$Matches[1] } }
        $buffer = [char[]]::new($length)
        $read = 0
        while ($read -lt $length) { $read += $reader.Read($buffer, $read, $length - $read) }
        $reply = [System.Text.Encoding]::ASCII.GetBytes("HTTP/1.1 204 No Content`r`nConnection: close`r`n`r`n")
        $stream.Write($reply, 0, $reply.Length)
        $client.Dispose()
        Write-Host "$request"
        Write-Host (-join $buffer)
    }
    else { Write-Host 'No webhook within 30 s.' -ForegroundColor Red }
    Remove-Job $job -Force
}
finally {
    Set-Location $savedLocation
    foreach ($kv in $saved.GetEnumerator()) { if ($null -eq $kv.Value) { Remove-Item "env:$($kv.Key)" -ErrorAction SilentlyContinue } else { Set-Item "env:$($kv.Key)" $kv.Value } }
    if ($agent -and -not $agent.HasExited) { $agent.Kill($true); $agent.WaitForExit() }
    if ($hook) { $hook.Stop() }
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}
Write-Host ''
Write-Host 'Demo finished.' -ForegroundColor Green
