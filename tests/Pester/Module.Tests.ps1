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

Describe 'Help and discovery' {
    It 'both manifests pass Test-ModuleManifest and export exactly the assembly''s cmdlets' {
        $assembly = [System.Reflection.Assembly]::LoadFrom((Join-Path (Split-Path $Manifest) 'Patchwire.PowerShell.dll'))
        $expected = @($assembly.GetExportedTypes() | Where-Object { -not $_.IsAbstract } | ForEach-Object {
                $a = $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false) | Select-Object -First 1
                if ($a) { "$($a.VerbName)-$($a.NounName)" } } | Sort-Object)
        foreach ($path in $Manifest, (Join-Path $RepoRoot 'Patchwire.psd1')) {
            $m = Test-ModuleManifest $path -ErrorAction Stop
            @($m.ExportedCmdlets.Keys | Sort-Object) | Should -Be $expected -Because "$path must list every cmdlet explicitly"
            @($m.ExportedAliases.Keys | Sort-Object) | Should -Be @('patchwire', 'patchwire-agent')
            $data = Import-PowerShellDataFile $path
            $data.CmdletsToExport | Should -Not -Contain '*'
            $data.AliasesToExport | Should -Not -Contain '*'
        }
    }

    It 'shows one syntax block per parameter set' {
        $syntax = @((Get-Help Invoke-PatchwirePatch).syntax.syntaxItem)
        $syntax.Count | Should -Be @((Get-Command Invoke-PatchwirePatch).ParameterSets).Count
        foreach ($item in $syntax) {
            $names = @($item.parameter.name)
            ($names -contains 'InputObject' -and $names -contains 'Path') | Should -BeFalse -Because 'they are in different parameter sets'
        }
    }

    It 'names nullable parameters by their type, not Nullable`1' {
        $text = Get-Help Start-PatchwireAgent | Out-String -Width 300
        $text | Should -Match '-Port <Int32>'
        $text | Should -Not -Match 'Nullable'
    }

    It '<_> has INPUTS, OUTPUTS and default values in its help' -ForEach $CmdletNames {
        $help = Get-Help $_ -Full
        @($help.inputTypes.inputType).Count | Should -BeGreaterThan 0
        @($help.returnValues.returnValue).Count | Should -BeGreaterThan 0
        foreach ($p in @($help.parameters.parameter | Where-Object { $_.name })) { $p.defaultValue | Should -Not -BeNullOrEmpty -Because "-$($p.name) needs a default value (None is fine)" }
    }

    It 'fills defaults that a cmdlet really has' {
        (Get-Help Set-PatchwireConfiguration -Parameter TimeoutSec).defaultValue | Should -Be '10'
        ((Get-Help Get-PatchwireUser -Full).inputTypes.inputType.type.name -join ' ') | Should -Match 'System.String'
        (Get-Help Get-PatchwireUser -Full).returnValues.returnValue.type.name | Should -Be 'Patchwire.PowerShell.Users.PatchwireUser'
    }

    It 'has an about_Patchwire topic' {
        $about = Get-Help about_Patchwire | Out-String
        $about | Should -Match 'about_Patchwire'
        $about | Should -Match 'New-PatchwireUser'
    }

    It 'completes user names from the registry' {
        $saved = $env:PW_HOME
        try {
            $env:PW_HOME = Join-Path $TestDrive ([guid]::NewGuid())
            'anna', 'andre', 'ben' | New-PatchwireUser | Out-Null
            foreach ($command in 'Get-PatchwireUser ', 'Remove-PatchwireUser -Name ', 'Reset-PatchwireUserToken ', 'Disable-PatchwireUser ') {
                $line = "${command}an"
                @((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText) | Should -Be @('andre', 'anna') -Because $command
            }
        }
        finally { $env:PW_HOME = $saved }
    }

    It 'completes project names from the current folder and its sibling projects' {
        $parent = Join-Path $TestDrive 'src'
        foreach ($name in 'team-app', 'team-lib', 'notes') { New-Item -ItemType Directory -Path (Join-Path $parent $name) -Force | Out-Null }
        New-Item -ItemType Directory -Path (Join-Path $parent 'team-lib/.git') -Force | Out-Null
        Set-Content (Join-Path $parent 'team-app/patchwire.yml') 'project: shop'
        Push-Location (Join-Path $parent 'team-app')
        try {
            $line = 'Sync-PatchwireProject -Project '
            $matches = @((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText)
            $matches | Should -Contain 'shop'
            $matches | Should -Contain 'team-app'
            $matches | Should -Contain 'team-lib'
            $matches | Should -Not -Contain 'notes'
        }
        finally { Pop-Location }
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
