BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:Manifest = Join-Path $PSScriptRoot '../../out/Patchwire/Patchwire.psd1'
    Import-Module $Manifest -Force
    $script:Saved = @{}
    foreach ($name in 'PW_HOME', 'PW_AGENT_URL', 'PW_TOKEN', 'PW_USER') { $script:Saved[$name] = [Environment]::GetEnvironmentVariable($name) }
    function script:Invoke-ChildPwsh {
        if ([IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -eq 'dotnet') { & ([Environment]::ProcessPath) (Join-Path $PSHOME 'pwsh.dll') @args }
        else { & ([Environment]::ProcessPath) @args }
    }

    # A real agent on loopback whose AI is the stand-in for Claude Code used by the chat tests (not an AI: it follows 'say:'/'write:' lines).
    $script:Box = Join-Path $TestDrive 'box'
    $standIn = Join-Path $PSScriptRoot '../fixtures/chat/stand-in-claude.sh'
    # The stand-in and its notes live in TestDrive, which the AI sandbox would hide (Start-TestAgent sets PW_SANDBOX=off).
    $started = Start-TestAgent -Manifest $Manifest -AgentHome $Box -AiArgs "'$standIn' --print --standin-dir '$(Join-Path $TestDrive 'stand-in')'"
    $script:Agent = $started.Process
    $script:Url = $started.Url

    $env:PW_HOME = $Box
    $token = (New-PatchwireUser ana).Token
    $env:PW_HOME = Join-Path $TestDrive 'laptop-home'
    $env:PW_AGENT_URL = $Url
    $env:PW_TOKEN = $token
    $env:PW_USER = 'ana'

    $script:Project = Join-Path $TestDrive 'app'
    New-Item -ItemType Directory $Project | Out-Null
    git -C $Project init -q -b main
    Set-Content (Join-Path $Project 'README.md') '# app'
    git -C $Project add -A
    git -C $Project -c user.email=t@patchwire.invalid -c user.name=t commit -q -m init
}

AfterAll {
    if ($Agent -and -not $Agent.HasExited) { $Agent.Kill($true); $Agent.WaitForExit() }
    foreach ($name in $Saved.Keys) { [Environment]::SetEnvironmentVariable($name, $Saved[$name]) }
}

Describe 'Chat as a developer meets it' {
    It 'continues a session across Invoke-PatchwireChat calls and shows turns as a table' {
        $first = Invoke-PatchwireChat -Path $Project "say: first turn`ntokens: 10 2" 6>$null
        $first.PSObject.TypeNames[0] | Should -Be 'Patchwire.PowerShell.Chat.PatchwireChatTurn'
        $first.Text | Should -Be 'first turn'
        $second = $first | Invoke-PatchwireChat -Path $Project -Prompt "say: turn {turn}`nwrite: docs/notes.md notes" 6>$null
        $second.SessionId | Should -Be $first.SessionId
        $second.TurnIndex | Should -Be 2
        $second.Text | Should -Be 'turn 2'
        $second.Files.Path | Should -Be 'docs/notes.md'
        ($second | Out-String) | Should -Match 'SessionId\s+TurnIndex\s+Files\s+TokensOut'
        ($second | Format-List | Out-String) | Should -Match 'Text\s+: turn 2'
    }

    It 'patchwire chat runs one turn under pwsh -NonInteractive, prints the reply and applies with --yes' {
        $out = Invoke-ChildPwsh -NoProfile -NonInteractive -Command "Set-Location '$Project'; Import-Module '$Manifest'; patchwire chat `"say: hello from chat``nwrite: hello.txt hi`" --yes; exit `$LASTEXITCODE"
        $LASTEXITCODE | Should -Be 0
        $out | Should -Contain 'hello from chat'
        ($out -join "`n") | Should -Match 'Applied 1 file'
        Get-Content (Join-Path $Project 'hello.txt') | Should -Be 'hi'
    }

    It 'patchwire chat without a prompt and without a terminal fails at once with usage (exit 2)' {
        Invoke-ChildPwsh -NoProfile -NonInteractive -Command "Set-Location '$Project'; Import-Module '$Manifest'; patchwire chat; exit `$LASTEXITCODE" 2>$null | Out-Null
        $LASTEXITCODE | Should -Be 2
        (patchwire chat --help) -join "`n" | Should -Match '/exit'
    }

    It 'patchwire session-status shows a session, --json gives the agent''s answer, delete-session ends it' {
        $turn = Invoke-PatchwireChat -Path $Project "say: for the verbs`ntokens: 7 3" 6>$null
        Push-Location $Project
        try {
            $text = patchwire session-status $turn.SessionId
            $LASTEXITCODE | Should -Be 0
            ($text -join "`n") | Should -Match "session\s+$($turn.SessionId)"
            ($text -join "`n") | Should -Match 'status\s+done'
            ($text -join "`n") | Should -Match 'tokens\s+7 in, 3 out'
            $json = (patchwire session-status $turn.SessionId --json) | ConvertFrom-Json
            $json.status | Should -Be 'done'
            $json.startedAt | Should -BeOfType [long]
            $json.turnCount | Should -Be 1

            patchwire delete-session $turn.SessionId | Should -Be "Deleted chat session $($turn.SessionId)."
            $LASTEXITCODE | Should -Be 0
            # Gone: status fails (exit 1) naming the session; deleting again is fine, as upstream's DELETE.
            $err = & { $ErrorActionPreference = 'Continue'; patchwire session-status $turn.SessionId 2>&1 }
            $LASTEXITCODE | Should -Be 1
            ($err -join "`n") | Should -Match "no chat session $($turn.SessionId) of yours"
            patchwire delete-session $turn.SessionId | Out-Null
            $LASTEXITCODE | Should -Be 0
            { Get-PatchwireChatSession -Session $turn.SessionId -ErrorAction Stop } | Should -Throw -ErrorId 'Patchwire.Chat.SessionNotFound*'
        }
        finally { Pop-Location }
    }

    It 'the session verbs refuse a missing, extra or malformed id with usage (exit 2) and have --help' {
        # One child process for all of them: each verb sets $LASTEXITCODE, which the child prints.
        $lines = 'session-status', 'session-status nope', "session-status $([guid]::NewGuid()) $([guid]::NewGuid())", 'delete-session', 'delete-session {0}', 'delete-session 1234'
        $script = ($lines | ForEach-Object { "patchwire $_ 2>`$null; `"`$LASTEXITCODE`"" }) -join '; '
        $codes = Invoke-ChildPwsh -NoProfile -NonInteractive -Command "Set-Location '$Project'; Import-Module '$Manifest'; $script"
        $codes | Should -Be @('2', '2', '2', '2', '2', '2')
        (patchwire session-status --help) -join "`n" | Should -Match 'GET /session/UUID/status'
        (patchwire delete-session --help) -join "`n" | Should -Match 'DELETE /session/UUID'
    }
}
