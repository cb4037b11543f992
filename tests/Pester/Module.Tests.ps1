BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot '../../out/Patchwire/Patchwire.psd1') -Force
    $script:CmdletNames = (Get-Command -Module Patchwire -CommandType Cmdlet).Name
}

BeforeAll {
    $script:RepoRoot = Resolve-Path (Join-Path $PSScriptRoot '../..')
    $script:Manifest = Join-Path $RepoRoot 'out/Patchwire/Patchwire.psd1'
    Import-Module $Manifest -Force
}

Describe 'The Patchwire module as a pwsh user meets it' {
    It 'loads from the root manifest after a build' {
        $m = Import-Module (Join-Path $RepoRoot 'Patchwire.psd1') -Force -PassThru
        $m | Should -Not -BeNullOrEmpty
        Get-Command New-PatchwireUser | Should -Not -BeNullOrEmpty
        Remove-Module Patchwire -Force
        Import-Module $Manifest -Force
    }

    It 'exports the dispatcher aliases <_>' -ForEach @('patchwire', 'patchwire-agent') {
        (Get-Alias $_).ResolvedCommandName | Should -Match '^Invoke-Patchwire(Agent)?Cli$'
    }

    It 'uses only approved verbs' {
        $approved = (Get-Verb).Verb
        Get-Command -Module Patchwire -CommandType Cmdlet | ForEach-Object { $approved | Should -Contain $_.Verb }
    }

    It '<_> has help with a synopsis and examples' -ForEach $CmdletNames {
        $help = Get-Help $_ -Full
        $help.Synopsis | Should -Not -Match "^\s*$_\s*$"
        @($help.examples.example).Count | Should -BeGreaterThan 0
    }
}

Describe 'The packaged module folder' {
    It 'imports by name once copied into a folder of PSModulePath' {
        $modules = Join-Path $TestDrive 'Modules'
        New-Item -ItemType Directory -Path $modules | Out-Null
        Copy-Item (Split-Path $Manifest) (Join-Path $modules 'Patchwire') -Recurse
        $self = [Environment]::ProcessPath
        [string[]] $prefix = @(if ([IO.Path]::GetFileNameWithoutExtension($self) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })
        $sep = [IO.Path]::PathSeparator
        $out = & $self @prefix -NoProfile -NonInteractive -Command "`$env:PSModulePath = '$modules$sep' + `$env:PSModulePath; Import-Module Patchwire; (Get-Module Patchwire).ModuleBase; (Get-Command New-PatchwireUser).Source; (Get-Help New-PatchwireUser).Synopsis" 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($out | Out-String)
        $out[0] | Should -Be (Join-Path $modules 'Patchwire')
        $out[1] | Should -Be 'Patchwire'
        $out[2] | Should -Match 'Creates a Patchwire user'
    }
}
