# The shims as a CI step meets them: a failing verb must fail the pwsh process that runs it (-Command and -File),
# and $? must be False inside the session.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:Manifest = Join-Path $PSScriptRoot '../../out/Patchwire/Patchwire.psd1'
    $script:AgentHome = Join-Path $TestDrive 'agent-home'
    New-Item -ItemType Directory $AgentHome | Out-Null
    $ai = Join-Path $TestDrive 'ai.sh'
    # The stand-in AI: 'fail' edits a file, says why on stdout and exits 3; anything else edits and succeeds.
    Set-Content $ai -Value "PROMPT=`$(cat)`nsed -i 's/^one$/ONE/' app.txt`nif [ `"`$PROMPT`" = fail ]; then echo 'I could not finish'; exit 3; fi`necho 'Done: app.txt now shouts.'" -NoNewline
    $agent = Start-TestAgent -Manifest $Manifest -AgentHome $AgentHome -AiArgs "'$ai'"
    $script:AgentProcess = $agent.Process
    $script:AgentUrl = $agent.Url
    $env:PW_HOME_SAVED = $env:PW_HOME
    $env:PW_HOME = $AgentHome
    Import-Module $Manifest -Force
    $script:Token = (New-PatchwireUser ana).Token
    $env:PW_HOME = $env:PW_HOME_SAVED

    $script:Project = Join-Path $TestDrive 'team-app'
    New-Item -ItemType Directory $Project | Out-Null
    git -C $Project init -q -b main
    Set-Content (Join-Path $Project 'app.txt') "one`ntwo"
    git -C $Project add -A
    git -C $Project -c user.name=t -c user.email=t@t.invalid commit -q -m sample

    # Runs pwsh -NonInteractive with the module and the given token; returns the exit code and the output.
    function Invoke-ChildPwsh {
        param([string] $Commands, [string] $Token = $script:Token, [switch] $AsFile)
        $psi = [Diagnostics.ProcessStartInfo]::new('dotnet')
        $self = [Environment]::ProcessPath
        if ([IO.Path]::GetFileNameWithoutExtension($self) -ne 'dotnet') { $psi.FileName = $self } else { $psi.ArgumentList.Add((Join-Path $PSHOME 'pwsh.dll')) }
        foreach ($a in '-NoProfile', '-NonInteractive') { $psi.ArgumentList.Add($a) }
        $script = "Import-Module '$($script:Manifest)'; Set-Location '$($script:Project)'; $Commands"
        if ($AsFile) {
            $file = Join-Path $TestDrive ("child-{0}.ps1" -f [guid]::NewGuid().ToString('N'))
            Set-Content $file $script
            $psi.ArgumentList.Add('-File'); $psi.ArgumentList.Add($file)
        } else {
            $psi.ArgumentList.Add('-Command'); $psi.ArgumentList.Add($script)
        }
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $psi.UseShellExecute = $false
        foreach ($key in @($psi.Environment.Keys | Where-Object { $_ -like 'PW_*' })) { $psi.Environment.Remove($key) | Out-Null }
        $psi.Environment['PW_HOME'] = Join-Path $TestDrive 'laptop-home'
        $psi.Environment['PW_AGENT_URL'] = $script:AgentUrl
        $psi.Environment['PW_TOKEN'] = $Token
        $p = [Diagnostics.Process]::Start($psi)
        $out = $p.StandardOutput.ReadToEndAsync()
        $err = $p.StandardError.ReadToEndAsync()
        if (-not $p.WaitForExit(180000)) { $p.Kill($true); throw 'The child pwsh did not finish.' }
        [pscustomobject]@{ ExitCode = $p.ExitCode; Stdout = $out.Result; Stderr = $err.Result }
    }
}

AfterAll {
    if ($AgentProcess -and -not $AgentProcess.HasExited) { $AgentProcess.Kill($true); $AgentProcess.WaitForExit() }
}

Describe 'A failing shim verb fails the pwsh process running it' {
    BeforeAll { $script:BadToken = 'pw_' + ('e' * 64) }

    It 'patchwire doctor with a rejected token: -Command exits non-zero with one concise error' {
        $r = Invoke-ChildPwsh 'patchwire doctor' -Token $BadToken
        $r.ExitCode | Should -Be 1
        $r.Stdout | Should -Match 'FAIL  token'
        $r.Stderr | Should -Match 'patchwire doctor: 1 check failed\.'
    }

    It 'patchwire doctor with a rejected token: -File exits non-zero too' {
        $r = Invoke-ChildPwsh 'patchwire doctor; "the script goes on"' -Token $BadToken -AsFile
        $r.ExitCode | Should -Be 1
        $r.Stdout | Should -Match 'the script goes on'
    }

    It 'sets $? to False inside the session, and an explicit exit in the script still wins' {
        $r = Invoke-ChildPwsh 'patchwire doctor; if ($?) { "dollar-true" } else { "dollar-false $LASTEXITCODE" }; exit 0' -Token $BadToken
        "$($r.Stdout)`n---`n$($r.Stderr)" | Should -Match 'dollar-false 1'
        $r.ExitCode | Should -Be 0
    }

    It 'patchwire ask --yes with an AI that exits 3: non-zero, the reply shown, the diff saved and not applied' {
        $r = Invoke-ChildPwsh "patchwire ask fail --yes"
        $r.ExitCode | Should -Be 1
        $r.Stdout | Should -Match 'I could not finish'
        $r.Stderr | Should -Match 'exited with code 3'
        Get-Content (Join-Path $Project 'app.txt') -Raw | Should -Match '^one'
        Test-Path (Join-Path $Project '.patchwire/last.patch') | Should -BeTrue
        @(Get-ChildItem (Join-Path $Project '.patchwire/patches') -Filter *.patch).Count | Should -BeGreaterThan 0
    }

    It 'bad usage exits 2 with a short error that points at --help (-File)' {
        $r = Invoke-ChildPwsh 'patchwire ask' -AsFile
        $r.ExitCode | Should -Be 2
        $r.Stderr | Should -Match "patchwire ask: the prompt is missing"
        $r.Stderr | Should -Match "Run 'patchwire ask --help' for usage"
        $r.Stderr | Should -Not -Match 'usage: patchwire ask'
    }

    It 'patchwire sync, queue and apply fail the process on a rejected token or a missing patch' {
        (Invoke-ChildPwsh 'patchwire sync' -Token $BadToken).ExitCode | Should -Be 1
        (Invoke-ChildPwsh 'patchwire queue' -Token $BadToken -AsFile).ExitCode | Should -Be 1
        (Invoke-ChildPwsh 'patchwire apply ./no-such.patch').ExitCode | Should -Be 1
    }

    It 'a verb that succeeds leaves the exit code at 0, and prints the AI reply' {
        $r = Invoke-ChildPwsh 'patchwire ask shout --yes'
        $r.ExitCode | Should -Be 0
        $r.Stdout | Should -Match 'Done: app.txt now shouts.'
        $r.Stdout | Should -Match 'Applied 1 file'
    }
}
