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
}
