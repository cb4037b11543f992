@{
    # Development manifest at the repository root: after './build.ps1 Build' the module is laid out in
    # out/Patchwire (binaries, formats, help, the agent), and this manifest loads that folder, so
    # 'Import-Module ./Patchwire.psd1' works from here. 'out/Patchwire' itself is the installable module.
    ModuleVersion        = '0.1.0'
    GUID                 = '4d4631f8-27dc-46ef-9a41-b37a658673a6'
    Author               = 'Patchwire for PowerShell'
    Description          = 'Patchwire for PowerShell (development manifest; see out/Patchwire/Patchwire.psd1).'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    NestedModules        = @('out/Patchwire/Patchwire.psd1')
    # Explicit, so that discovery needs no loading; Module.Tests.ps1 checks it against the assembly's cmdlets.
    CmdletsToExport      = @(
        'Disable-PatchwireUser'
        'Enable-PatchwireUser'
        'Get-PatchwireAuditLog'
        'Get-PatchwireChatSession'
        'Get-PatchwireConfiguration'
        'Get-PatchwireIdentity'
        'Get-PatchwireQueue'
        'Get-PatchwireRun'
        'Get-PatchwireUsage'
        'Get-PatchwireUser'
        'Get-PatchwireUserPolicy'
        'Install-PatchwireAgentService'
        'Invoke-PatchwireAgentCli'
        'Invoke-PatchwireAsk'
        'Invoke-PatchwireChat'
        'Invoke-PatchwireCli'
        'Invoke-PatchwirePatch'
        'New-PatchwireUser'
        'Remove-PatchwireChatSession'
        'Remove-PatchwireUser'
        'Reset-PatchwireUserToken'
        'Set-PatchwireConfiguration'
        'Set-PatchwireUserPolicy'
        'Start-PatchwireAgent'
        'Start-PatchwireAsk'
        'Stop-PatchwireRun'
        'Sync-PatchwireProject'
        'Test-PatchwireConnection'
        'Uninstall-PatchwireAgentService'
        'Wait-PatchwireRun'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @('patchwire', 'patchwire-agent')
}
