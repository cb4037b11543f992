BeforeAll {
    $script:RepoRoot = Resolve-Path (Join-Path $PSScriptRoot '../..')
    Import-Module (Join-Path $RepoRoot 'out/Patchwire/Patchwire.psd1') -Force
}

Describe 'The queue as a pwsh user meets it' {
    It 'Get-PatchwireQueue has help with examples' {
        $help = Get-Help Get-PatchwireQueue -Examples
        @($help.examples.example).Count | Should -BeGreaterThan 1
    }

    It 'patchwire queue --help prints usage and succeeds' {
        $out = patchwire queue --help
        $LASTEXITCODE | Should -Be 0
        ($out -join "`n") | Should -Match 'usage: patchwire queue'
    }

    It 'fails with a connection error a person can act on when the agent is down' {
        $saved = @{ PW_AGENT_URL = $env:PW_AGENT_URL; PW_TOKEN = $env:PW_TOKEN; PW_HOME = $env:PW_HOME }
        try {
            # Settings are complete (a missing token is refused before any request); only the agent is unreachable.
            $env:PW_HOME = Join-Path $TestDrive 'laptop-home'
            $env:PW_TOKEN = 'pw_' + ('e' * 64)
            $env:PW_AGENT_URL = 'http://127.0.0.1:1'
            $err = $null
            try { Get-PatchwireQueue } catch { $err = $_ }
            $err | Should -Not -BeNullOrEmpty
            $err.CategoryInfo.Category | Should -Be 'ConnectionError'
            $err.Exception.Message | Should -Match 'Cannot reach the Patchwire agent'
        } finally {
            foreach ($kv in $saved.GetEnumerator()) { [Environment]::SetEnvironmentVariable($kv.Key, $kv.Value) }
        }
    }
}
