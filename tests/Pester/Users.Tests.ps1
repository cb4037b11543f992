BeforeAll {
    $script:Manifest = Join-Path $PSScriptRoot '../../out/Patchwire/Patchwire.psd1'
    Import-Module $Manifest -Force
    $script:SavedHome = $env:PW_HOME
    # Under 'dotnet pwsh' the process is dotnet itself; a child pwsh is then 'dotnet <PSHOME>/pwsh.dll'.
    function script:Invoke-ChildPwsh {
        if ([IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -eq 'dotnet') { & ([Environment]::ProcessPath) (Join-Path $PSHOME 'pwsh.dll') @args }
        else { & ([Environment]::ProcessPath) @args }
    }
}

AfterAll {
    $env:PW_HOME = $script:SavedHome
}

Describe 'User administration as an admin meets it' {
    BeforeEach {
        $env:PW_HOME = Join-Path $TestDrive ([guid]::NewGuid())
    }

    It 'creates users from a pipeline of objects and shows them as a table' {
        'ana', 'ben' | ForEach-Object { [pscustomobject]@{ Name = $_ } } | New-PatchwireUser | Out-Null
        $users = Get-PatchwireUser
        $users.Name | Should -Be @('ana', 'ben')
        $users[0].PSObject.TypeNames[0] | Should -Be 'Patchwire.PowerShell.Users.PatchwireUser'
        $text = Get-PatchwireUser | Out-String
        $text | Should -Match 'Name\s+Status\s+CreatedAt\s+LastSeen'
        $text | Should -Match 'ana\s+active'
        $text | Should -Not -Match 'pw_'
    }

    It 'shows a new token once, in a list view that says to save it' {
        $text = New-PatchwireUser ana | Out-String
        $text | Should -Match 'Token\s*:\s*pw_[0-9a-f]{64}\s+\(save this'
    }

    It 'disables, enables and removes through the pipeline' {
        New-PatchwireUser ana | Out-Null
        New-PatchwireUser ben | Out-Null
        Get-PatchwireUser ben | Disable-PatchwireUser
        (Get-PatchwireUser ben).Disabled | Should -BeTrue
        Get-PatchwireUser ben | Enable-PatchwireUser -PassThru | ForEach-Object Status | Should -Be 'active'
        Get-PatchwireUser ben | Remove-PatchwireUser -Confirm:$false
        (Get-PatchwireUser).Name | Should -Be 'ana'
    }

    It 'throws a clear error for a bad name under ErrorAction Stop' {
        { New-PatchwireUser '../evil' -ErrorAction Stop } | Should -Throw '*may contain only letters*'
        Test-Path (Join-Path $env:PW_HOME 'users.json') | Should -BeFalse
    }

    It 'works under pwsh -NonInteractive in a script, with a non-zero exit on failure' {
        $ok = Invoke-ChildPwsh -NoProfile -NonInteractive -Command "Import-Module '$Manifest'; patchwire-agent user add ana; exit `$LASTEXITCODE"
        $LASTEXITCODE | Should -Be 0
        $ok | Should -Match '^Token \(save this, it will not be shown again\): pw_[0-9a-f]{64}$'
        Invoke-ChildPwsh -NoProfile -NonInteractive -Command "Import-Module '$Manifest'; patchwire-agent user rm nobody; exit `$LASTEXITCODE" 2>$null
        $LASTEXITCODE | Should -Be 1
        Invoke-ChildPwsh -NoProfile -NonInteractive -Command "Import-Module '$Manifest'; patchwire-agent user rm ana; exit `$LASTEXITCODE"
        $LASTEXITCODE | Should -Be 0
        (Get-PatchwireUser).Count | Should -Be 0
    }

    It 'shows a rotated token even right after a user table in the same output' {
        New-PatchwireUser ana | Out-Null
        $text = & { Get-PatchwireUser; Reset-PatchwireUserToken ana -Confirm:$false } | Out-String -Width 80
        $text | Should -Match 'Name\s+Status\s+CreatedAt\s+LastSeen'
        $text | Should -Match 'Token\s*:\s*pw_[0-9a-f]{64}\s+\(save this'
        $text = & { Get-PatchwireUser; New-PatchwireUser ben } | Out-String -Width 80
        $text | Should -Match 'Token\s*:\s*pw_[0-9a-f]{64}'
    }

    It 'says "No user named" for a missing user under -NonInteractive, without a prompt' {
        New-PatchwireUser ana | Out-Null
        $out = Invoke-ChildPwsh -NoProfile -NonInteractive -Command "Import-Module '$Manifest'; `$env:PW_HOME = '$env:PW_HOME'; Remove-PatchwireUser nobody; Reset-PatchwireUserToken nobody; Disable-PatchwireUser nobody" 2>&1 | Out-String
        ([regex]::Matches($out, "No user named 'nobody'")).Count | Should -Be 3 -Because $out
        $out | Should -Not -Match 'NonInteractive mode'
        (Get-PatchwireUser).Name | Should -Be 'ana'
    }
}
