BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:Manifest = Join-Path $PSScriptRoot '../../out/Patchwire/Patchwire.psd1'
    Import-Module $Manifest -Force
}

Describe 'Start-PatchwireAgent' {
    BeforeEach {
        $script:Saved = @{}
        foreach ($name in 'PW_HOME', 'PW_TIMEOUT_SEC', 'PW_AGENT_PORT') { $script:Saved[$name] = [Environment]::GetEnvironmentVariable($name) }
        $env:PW_HOME = Join-Path $TestDrive ([guid]::NewGuid())
    }
    AfterEach {
        foreach ($kv in $script:Saved.GetEnumerator()) {
            if ($null -eq $kv.Value) { Remove-Item "env:$($kv.Key)" -ErrorAction SilentlyContinue } else { Set-Item "env:$($kv.Key)" $kv.Value }
        }
    }

    It 'stops with an error naming the variable when a setting is bad' {
        $env:PW_TIMEOUT_SEC = 'abc'
        { Start-PatchwireAgent -Port 0 -ErrorAction Stop 2>$null } | Should -Throw '*PW_TIMEOUT_SEC*'
    }

    It 'runs in the foreground and prints the listening line with the real port' {
        $dotnet = [Environment]::ProcessPath
        $psi = [System.Diagnostics.ProcessStartInfo]::new($dotnet)
        if ([IO.Path]::GetFileNameWithoutExtension($dotnet) -eq 'dotnet') { $psi.ArgumentList.Add((Join-Path $PSHOME 'pwsh.dll')) }
        foreach ($a in '-NoProfile', '-NonInteractive', '-Command', "Import-Module '$Manifest'; Start-PatchwireAgent -Port 0 -MaxConcurrentTotal 2") { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $psi.UseShellExecute = $false
        $psi.Environment['PW_HOME'] = $env:PW_HOME
        $process = [System.Diagnostics.Process]::Start($psi)
        try {
            $line = (Read-LineWithin $process.StandardOutput)
            if (-not $line) { throw "no output; stderr: $($process.StandardError.ReadToEnd())" }
            $line | Should -Match '^patchwire-agent listening on http://127\.0\.0\.1:(\d+)$'
            $port = [int] ($line -replace '.*:', '')
            $port | Should -BeGreaterThan 0
            (Read-LineWithin $process.StandardOutput) | Should -Match '2 total, 1 per user'
            (Invoke-RestMethod "http://127.0.0.1:$port/health").ok | Should -BeTrue
        }
        finally {
            $process.Kill($true)
            $process.WaitForExit()
        }
    }

    It 'fails with one line when the port is in use' {
        $busy = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $busy.Start()
        try {
            $port = $busy.LocalEndpoint.Port
            $err = $null
            try { Start-PatchwireAgent -Port $port -ErrorAction Stop 2>$null } catch { $err = $_ }
            $err | Should -Not -BeNullOrEmpty
            "$err" | Should -Match "^patchwire-agent: port $port on 127\.0\.0\.1 is already in use"
            "$err" | Should -Not -Match '\bat Microsoft\.'
        }
        finally { $busy.Stop() }
    }

    It 'never leaves the agent running when the pwsh that started it gets <_>' -Skip:$IsWindows -ForEach @('TERM', 'KILL') {
        $signal = $_
        $dotnet = [Environment]::ProcessPath
        $psi = [System.Diagnostics.ProcessStartInfo]::new($dotnet)
        if ([IO.Path]::GetFileNameWithoutExtension($dotnet) -eq 'dotnet') { $psi.ArgumentList.Add((Join-Path $PSHOME 'pwsh.dll')) }
        foreach ($a in '-NoProfile', '-NonInteractive', '-Command', "Import-Module '$Manifest'; Start-PatchwireAgent -Port 0") { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $psi.UseShellExecute = $false
        $psi.Environment['PW_HOME'] = $env:PW_HOME
        $pwsh = [System.Diagnostics.Process]::Start($psi)
        $agentPid = $null
        try {
            $line = Read-LineWithin $pwsh.StandardOutput
            $line | Should -Match '^patchwire-agent listening on http://127\.0\.0\.1:(\d+)$'
            $port = [int] ($line -replace '.*:', '')
            $agentPid = Get-ChildItem /proc -Directory | Where-Object Name -Match '^\d+$' | Where-Object {
                $stat = Get-Content "/proc/$($_.Name)/stat" -Raw -ErrorAction SilentlyContinue
                $cmdline = Get-Content "/proc/$($_.Name)/cmdline" -Raw -ErrorAction SilentlyContinue
                $stat -and $cmdline -match 'patchwire-agent\.dll' -and [int] (($stat -replace '^.*\)\s+', '') -split ' ')[1] -eq $pwsh.Id
            } | ForEach-Object { [int] $_.Name } | Select-Object -First 1
            $agentPid | Should -Not -BeNullOrEmpty -Because 'Start-PatchwireAgent runs the agent as a child process'

            & kill "-$signal" $pwsh.Id
            $pwsh.WaitForExit(30000) | Should -BeTrue
            $agent = Get-Process -Id $agentPid -ErrorAction SilentlyContinue
            if ($agent) { $agent.WaitForExit(30000) | Out-Null }
            Get-Process -Id $agentPid -ErrorAction SilentlyContinue | Should -BeNullOrEmpty -Because 'the agent must not outlive the pwsh that started it'
            $probe = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, $port)
            { $probe.Start(); $probe.Stop() } | Should -Not -Throw -Because "port $port must be free again"
        }
        finally {
            if (-not $pwsh.HasExited) { $pwsh.Kill($true) }
            if ($agentPid) { Get-Process -Id $agentPid -ErrorAction SilentlyContinue | Stop-Process -Force }
        }
    }
}
