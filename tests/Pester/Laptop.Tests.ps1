BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:Manifest = Join-Path $PSScriptRoot '../../out/Patchwire/Patchwire.psd1'
    Import-Module $Manifest -Force
    $script:Saved = @{}
    foreach ($name in 'PW_HOME', 'PW_TOKEN', 'PW_USER', 'PW_AGENT_URL') { $script:Saved[$name] = [Environment]::GetEnvironmentVariable($name) }

    # The real agent shipped in the module folder, on a free loopback port, its AI a small deterministic script.
    $script:AgentHome = Join-Path $TestDrive 'agent-home'
    New-Item -ItemType Directory $AgentHome | Out-Null
    $ai = Join-Path $TestDrive 'ai.sh'
    Set-Content $ai -Value "PROMPT=`$(cat)`nprintf 'hello from %s\n' `"`$PROMPT`" > greeting.txt`nsed -i 's/^one$/ONE/' app.txt" -NoNewline
    $agent = Start-TestAgent -Manifest $Manifest -AgentHome $AgentHome -AiArgs "'$ai'"
    $script:AgentProcess = $agent.Process
    $script:AgentUrl = $agent.Url

    $env:PW_HOME = $AgentHome
    $script:Token = (New-PatchwireUser ana).Token
    $env:PW_TOKEN = $null; $env:PW_USER = $null; $env:PW_AGENT_URL = $null
    $env:PW_HOME = Join-Path $TestDrive 'laptop-home'

    $script:Project = Join-Path $TestDrive 'team-app'
    New-Item -ItemType Directory $Project | Out-Null
    git -C $Project init -q -b main
    Set-Content (Join-Path $Project 'app.txt') "one`ntwo" 
    git -C $Project add -A
    git -C $Project -c user.name=t -c user.email=t@t.invalid commit -q -m sample
}

AfterAll {
    if ($AgentProcess -and -not $AgentProcess.HasExited) { $AgentProcess.Kill($true); $AgentProcess.WaitForExit() }
    foreach ($name in $Saved.Keys) { [Environment]::SetEnvironmentVariable($name, $Saved[$name]) }
}

Describe 'The laptop side as a developer meets it' {
    It 'sets up from the token alone and shows the settings with the token masked' {
        patchwire setup --token $Token --agent-url $AgentUrl | Should -Match "^Wrote PW_TOKEN \+ PW_USER \(ana\)"
        $LASTEXITCODE | Should -Be 0
        $config = Get-PatchwireConfiguration -Path $Project
        $config.User | Should -Be 'ana'
        $config.Project | Should -Be 'team-app'
        $text = $config | Out-String
        $text | Should -Match 'AgentUrl\s*:\s*http://127\.0\.0\.1'
        $text | Should -Not -Match ([regex]::Escape($Token))
    }

    It 'refuses a token the agent does not know, under ErrorAction Stop' {
        { Set-PatchwireConfiguration -Token ('pw_' + '9' * 64) -AgentUrl $AgentUrl -ErrorAction Stop } | Should -Throw '*does not know this token (401)*'
        (Get-PatchwireConfiguration -Path $Project).User | Should -Be 'ana'
    }

    It 'passes every doctor check' {
        $checks = Test-PatchwireConnection -Path $Project
        $checks.Check | Should -Be @('git', 'configuration', 'agent', 'token', 'project')
        @($checks | Where-Object { -not $_.Passed }).Count | Should -Be 0
        ($checks | Out-String) | Should -Match 'PASS\s+token'
    }

    It 'asks, shows a summary of the files, and applies the result from the pipeline' {
        Push-Location $Project
        try {
            $result = Invoke-PatchwireAsk 'say hello' -ProgressAction SilentlyContinue
            $result.Files.Path | Sort-Object | Should -Be @('app.txt', 'greeting.txt')
            $result.ExitCode | Should -Be 0
            $result.Baseline | Should -Match '^[0-9a-f]{40}$'
            ($result | Out-String) | Should -Match 'Files\s*:\s*2 files, \+2 -1'
            Test-Path greeting.txt | Should -BeFalse
            $applied = $result | Invoke-PatchwirePatch
            $applied.Method | Should -Be 'Direct'
            Get-Content greeting.txt | Should -Be 'hello from say hello'
            (Get-Content app.txt)[0] | Should -Be 'ONE'
        } finally { Pop-Location }
    }

    It 'reports an invalid patchwire.yml with its line' {
        Set-Content (Join-Path $Project 'patchwire.yml') "project: team-app`nremote:`n  token: `${PW_PESTER_UNSET}"
        try {
            { Invoke-PatchwireAsk 'x' -Path $Project -ErrorAction Stop } | Should -Throw '*patchwire.yml, line 3*PW_PESTER_UNSET*'
        } finally { Remove-Item (Join-Path $Project 'patchwire.yml') }
    }
}
