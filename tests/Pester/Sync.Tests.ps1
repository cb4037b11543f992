BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:RepoRoot = Resolve-Path (Join-Path $PSScriptRoot '../..')
    $script:ModuleFolder = Join-Path $RepoRoot 'out/Patchwire'
    Import-Module (Join-Path $ModuleFolder 'Patchwire.psd1') -Force
    $script:Work = Join-Path ([System.IO.Path]::GetTempPath()) ("pw-pester-sync-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $Work | Out-Null
    $script:Saved = @{ PW_HOME = $env:PW_HOME; PW_AGENT_URL = $env:PW_AGENT_URL; PW_TOKEN = $env:PW_TOKEN }
    $env:PW_HOME = Join-Path $Work 'home'
    New-Item -ItemType Directory -Path $env:PW_HOME | Out-Null

    $psi = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
    $psi.ArgumentList.Add((Join-Path $ModuleFolder 'agent/patchwire-agent.dll')); $psi.ArgumentList.Add('serve')
    $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true; $psi.UseShellExecute = $false
    $psi.Environment['PW_HOME'] = $env:PW_HOME; $psi.Environment['PW_AGENT_PORT'] = '0'; $psi.Environment['PW_AGENT_HOST'] = '127.0.0.1'
    $script:Agent = [System.Diagnostics.Process]::Start($psi)
    $line = (Read-LineWithin $Agent.StandardOutput)
    if ($line -notmatch '^patchwire-agent listening on (http://\S+)$') { throw "The agent did not start: $line $($Agent.StandardError.ReadToEnd())" }
    $env:PW_AGENT_URL = $Matches[1]
    $null = $Agent.StandardOutput.ReadToEndAsync(); $null = $Agent.StandardError.ReadToEndAsync()
    $env:PW_TOKEN = (New-PatchwireUser -Name pester).Token

    $script:Project = Join-Path $Work 'pester-app'
    New-Item -ItemType Directory -Path $Project | Out-Null
    & git -C $Project init -q
    Set-Content -Path (Join-Path $Project '.gitignore') -Value '.env'
    Set-Content -Path (Join-Path $Project '.env') -Value 'SECRET=1'
    Set-Content -Path (Join-Path $Project 'app.ps1') -Value 'Write-Output 1'
}

AfterAll {
    if ($Agent -and -not $Agent.HasExited) { $Agent.Kill($true); $Agent.WaitForExit() }
    foreach ($k in $Saved.Keys) { [Environment]::SetEnvironmentVariable($k, $Saved[$k]) }
    Remove-Item $Work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Sync as a pwsh user meets it' {
    It 'Sync-PatchwireProject sends the tree without ignored files and shows a one-line table' {
        $result = Sync-PatchwireProject -Path $Project
        $result.GetType().FullName | Should -Be 'Patchwire.PowerShell.Sync.SyncResult'
        $result.Transferred | Should -BeTrue
        $checkout = Join-Path $env:PW_HOME 'projects/pester/pester-app'
        Test-Path (Join-Path $checkout 'app.ps1') | Should -BeTrue
        Test-Path (Join-Path $checkout '.env') | Should -BeFalse
        $table = Sync-PatchwireProject -Path $Project | Out-String
        $table | Should -Match 'Baseline'
        $table | Should -Match 'nothing \(up to date\)'
    }

    It 'patchwire sync works from the project folder under -NonInteractive and sets the exit code' {
        Add-Content -Path (Join-Path $Project 'app.ps1') -Value 'Write-Output 2'
        Push-Location $Project
        try { $out = patchwire sync } finally { Pop-Location }
        $LASTEXITCODE | Should -Be 0
        ($out -join "`n") | Should -Match '^Synced pester-app to http://'
    }

    It 'patchwire sync reports a refused token with exit code 1' {
        $saved = $env:PW_TOKEN
        $ErrorActionPreference = 'Continue' # the verb writes an error record and sets the exit code, as a native command would
        try {
            $env:PW_TOKEN = 'pw_' + ('4' * 64)
            $out = patchwire sync $Project 2>&1
            $LASTEXITCODE | Should -Be 1
            ($out -join "`n") | Should -Match 'rejected the token'
        } finally { $env:PW_TOKEN = $saved }
    }
}
