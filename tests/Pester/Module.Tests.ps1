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
