# Every default view as a person meets it at 80 columns: headers equal property names, nothing cut off,
# one duration format ('0.0 s') and one date format (yyyy-MM-dd HH:mm:ssZ).
BeforeDiscovery {
    $script:Samples = @(
        @{ Name = 'user'; Script = { [Patchwire.PowerShell.Users.PatchwireUser]@{ Name = 'ana-maria.long'; CreatedAt = [datetime]'2026-01-02T03:04:05Z'; LastSeen = [datetime]'2026-03-04T05:06:07Z' } } }
        @{ Name = 'audit entry'; Script = {
                [Patchwire.PowerShell.Audit.PatchwireAuditEntry]@{ Timestamp = [datetime]'2026-01-02T03:04:05Z'; User = 'ana'; Project = 'team-app'; Route = 'ask'; Files = 12; LinesAdded = 120; LinesRemoved = 45; ExitCode = 0; Duration = [timespan]::FromSeconds(612.4); QueueWait = [timespan]::FromSeconds(3) }
                [Patchwire.PowerShell.Audit.PatchwireAuditEntry]@{ Timestamp = [datetime]'2026-01-02T03:05:05Z'; User = 'ben'; Project = 'team-web'; Route = 'chat'; Uuid = [guid]::NewGuid().ToString(); TokensIn = 1234567; TokensOut = 98765; Duration = [timespan]::FromSeconds(8) } } }
        @{ Name = 'chat turn'; Script = { [Patchwire.PowerShell.Chat.PatchwireChatTurn]@{ SessionId = [guid]::NewGuid(); TurnIndex = 12; TokensIn = 123456; TokensOut = 98765; Files = @(1..12 | ForEach-Object { [Patchwire.PowerShell.Patch.PatchwireFileChange]@{ Path = "f$_"; LinesAdded = 10; LinesRemoved = 4 } }) } } }
        @{ Name = 'chat session'; Script = { [Patchwire.PowerShell.Chat.PatchwireChatSession]@{ SessionId = [guid]::NewGuid(); Project = 'team-app'; Status = 'in_flight'; TurnCount = 120; TokensIn = 1234567; TokensOut = 987654 } } }
        @{ Name = 'sync result'; Script = { [Patchwire.PowerShell.Sync.SyncResult]@{ Project = 'team-app'; Baseline = 'a' * 40; Transferred = $true; Full = $true; BytesSent = 123456789; Duration = [timespan]::FromSeconds(12.3); AgentUrl = 'http://buildbox:7878' } } }
        @{ Name = 'file change'; Script = { [Patchwire.PowerShell.Patch.PatchwireFileChange]@{ Path = 'src/client.py'; OldPath = 'src/client.py'; Status = 'Modified'; LinesAdded = 1200; LinesRemoved = 45 } } }
        @{ Name = 'doctor check'; Script = { [Patchwire.PowerShell.Doctor.PatchwireCheck]@{ Check = 'configuration'; Passed = $true; Message = "project 'module-b' (no patchwire.yml, folder name); agent http://127.0.0.1:7878 (from environment); env file /home/someone/.patchwire/env" } } }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/Patchwire/Patchwire.psd1') -Force
}

Describe 'Views at 80 columns' {
    It 'the <Name> view fits 80 columns, cuts nothing and names its columns after properties' -ForEach $Samples {
        $objects = @(& $Script)
        $text = $objects | Out-String -Width 80
        $lines = $text -split "`r?`n"
        foreach ($line in $lines) { $line.TrimEnd().Length | Should -BeLessOrEqual 80 -Because "'$line'" }
        $text | Should -Not -Match '…' -Because "nothing may be cut off:`n$text"
        $properties = $objects[0].PSObject.Properties.Name
        $headerIndex = [Array]::FindIndex($lines, [Predicate[string]] { param($l) $l -match '^-+(\s+-+)*\s*$' })
        if ($headerIndex -gt 0) {
            foreach ($header in ($lines[$headerIndex - 1] -split '\s+' | Where-Object { $_ })) { $properties | Should -Contain $header -Because "table header '$header'" }
        }
        else {
            foreach ($label in ($lines | Where-Object { $_ -match '^(\w+)\s*: ' } | ForEach-Object { ($_ -split '\s*:')[0] })) { $properties | Should -Contain $label -Because "list label '$label'" }
        }
        $text | Should -Not -Match '\d\d:\d\d:\d\d\.\d{7}' -Because 'durations read 0.0 s, not a raw TimeSpan'
        $text | Should -Not -Match '\d+/\d+/\d{4}' -Because 'dates read yyyy-MM-dd HH:mm:ssZ'
    }

    It 'wraps doctor messages between words' {
        $check = [Patchwire.PowerShell.Doctor.PatchwireCheck]@{ Check = 'agent'; Passed = $false; Message = 'Cannot reach the Patchwire agent at http://127.0.0.1:1 (Connection refused). Is it running? Check PW_AGENT_URL, or run patchwire doctor.' }
        $lines = ($check | Out-String -Width 80) -split "`r?`n" | Where-Object { $_ -match '\S' } | Select-Object -Skip 2
        $words = $check.Message -split ' '
        foreach ($line in $lines) {
            $message = $line.Substring([Math]::Min(21, $line.Length)).Trim()
            foreach ($piece in $message -split ' ') { $words | Should -Contain $piece -Because "'$piece' must be a whole word of the message" }
        }
    }

    It 'shows where each setting came from by default' {
        $config = [Patchwire.PowerShell.Setup.PatchwireConfiguration]@{ AgentUrl = 'http://buildbox:7878'; AgentUrlSource = 'environment'; TokenSource = 'env file'; Project = 'team-app'; ProjectSource = 'folder name' }
        $text = $config | Out-String -Width 80
        $text | Should -Match 'AgentUrlSource\s*:\s*environment'
        $text | Should -Match 'ProjectSource\s*:\s*folder name'
    }

    It 'calls the patch text Diff on ask results and chat turns alike' {
        $turn = [Patchwire.PowerShell.Chat.PatchwireChatTurn]@{ Patch = 'diff --git a/x b/x' }
        $turn.Diff | Should -Be 'diff --git a/x b/x'
        [Patchwire.PowerShell.Ask.PatchwireAskResult].GetProperty('Diff') | Should -Not -BeNullOrEmpty
    }
}
