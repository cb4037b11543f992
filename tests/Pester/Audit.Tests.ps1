BeforeAll {
    $script:Manifest = Join-Path $PSScriptRoot '../../out/Patchwire/Patchwire.psd1'
    Import-Module $Manifest -Force
    Add-Type -Path (Join-Path (Split-Path $Manifest) 'Patchwire.Core.dll')
    $script:SavedHome = $env:PW_HOME
    $script:SavedLog = $env:PW_AUDIT_LOG
    Remove-Item Env:PW_AUDIT_LOG -ErrorAction SilentlyContinue

    # Turns written the way the agent writes them: through the shared writer, one line each.
    function script:Write-Turns([string] $Log, [int] $Count) {
        $writer = [Patchwire.Core.Audit.AuditWriter]::new($Log, 52428800, 3, $null)
        $now = [DateTimeOffset]::UtcNow
        for ($i = 0; $i -lt $Count; $i++) {
            $e = [Patchwire.Core.Audit.AuditEntry]::new()
            $e.Timestamp = $now.AddHours(-$Count + $i)
            $e.User = @('ana', 'ben', 'carla')[$i % 3]
            $e.Project = @('team-app', 'team-web')[$i % 2]
            $e.Route = '/ask'
            $e.PromptSha256 = [Patchwire.Core.Audit.AuditEntry]::HashPrompt("prompt $i")
            $e.DurationMs = 1000 * ($i % 10)
            $e.QueueWaitMs = 500 * ($i % 4)
            $e.Files = $i % 4; $e.LinesAdded = $i; $e.LinesRemoved = 1; $e.ExitCode = 0
            $writer.Append($e)
        }
    }
}

AfterAll {
    $env:PW_HOME = $script:SavedHome
    if ($script:SavedLog) { $env:PW_AUDIT_LOG = $script:SavedLog }
}

Describe 'The audit log as an admin meets it' {
    BeforeEach {
        $env:PW_HOME = Join-Path $TestDrive ([guid]::NewGuid())
        New-Item -ItemType Directory -Path $env:PW_HOME | Out-Null
        Write-Turns (Join-Path $env:PW_HOME 'agent.log') 60
    }

    It 'groups a week of turns by user through the pipeline' {
        $groups = Get-PatchwireAuditLog -Since 7d -Limit 0 | Group-Object User | Sort-Object Name
        $groups.Name | Should -Be @('ana', 'ben', 'carla')
        $groups.ForEach({ $_.Count }) | Should -Be @(20, 20, 20)
    }

    It 'returns typed objects that filter and sort on their properties' {
        $entries = Get-PatchwireAuditLog -User a*, c* -Since 24h
        $entries | ForEach-Object { $_.User | Should -BeIn @('ana', 'carla') }
        $entries | ForEach-Object { $_.Timestamp | Should -BeGreaterThan ([DateTime]::UtcNow.AddHours(-24)) }
        $entries[0].PSObject.TypeNames[0] | Should -Be 'Patchwire.PowerShell.Audit.PatchwireAuditEntry'
        $entries[0].Duration | Should -BeOfType [TimeSpan]
        $slow = Get-PatchwireAuditLog -Limit 0 | Where-Object Duration -ge ([TimeSpan]::FromSeconds(9))
        $slow.Count | Should -Be 6
        (Get-PatchwireAuditLog -Limit 0 | Sort-Object QueueWait -Descending | Select-Object -First 1).QueueWait | Should -Be ([TimeSpan]::FromMilliseconds(1500))
        (Get-PatchwireAuditLog -Project team-web -Limit 0 | Measure-Object LinesAdded -Sum).Sum | Should -Be (1..59 | Where-Object { $_ % 2 } | Measure-Object -Sum).Sum
    }

    It 'shows a table by default' {
        $text = Get-PatchwireAuditLog -Limit 3 | Out-String -Width 160
        $text | Should -Match 'Timestamp\s+User\s+Project\s+Route\s+Duration\s+Outcome'
        $text | Should -Match '\d+ files? \+\d+ -1 exit 0'
    }

    It 'returns raw lines that jq-style tools and ConvertFrom-Json read' {
        $raw = Get-PatchwireAuditLog -Raw -Limit 5
        $raw | Should -HaveCount 5
        $raw[0] | Should -BeOfType [string]
        $raw[0] | Should -Match '^\{"ts":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","user":'
        ($raw | ConvertFrom-Json).prompt_sha256 | Should -Not -Contain $null
        $lines = Get-Content (Join-Path $env:PW_HOME 'agent.log')
        $raw | Should -Be ($lines | Select-Object -Last 5)
    }

    It 'stops with an InvalidArgument error on a bad -Since and refuses a negative -Limit' {
        { Get-PatchwireAuditLog -Since 24x } | Should -Throw -ErrorId 'Patchwire.InvalidSince,Patchwire.PowerShell.Audit.GetPatchwireAuditLogCommand'
        { Get-PatchwireAuditLog -Limit -1 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,Patchwire.PowerShell.Audit.GetPatchwireAuditLogCommand'
    }

    It 'warns about a missing log with an error a script can catch' {
        $env:PW_HOME = Join-Path $TestDrive ([guid]::NewGuid())
        { Get-PatchwireAuditLog -ErrorAction Stop } | Should -Throw -ErrorId 'Patchwire.AuditLogNotFound,Patchwire.PowerShell.Audit.GetPatchwireAuditLogCommand'
    }

    It 'prints the same entries through patchwire-agent log --json' {
        $json = patchwire-agent log --user ben --limit 4 --json
        $LASTEXITCODE | Should -Be 0
        ($json | ConvertFrom-Json).user | Should -Be @('ben', 'ben', 'ben', 'ben')
        $json | Should -Be (Get-PatchwireAuditLog -User ben -Limit 4 -Raw)
    }
}
