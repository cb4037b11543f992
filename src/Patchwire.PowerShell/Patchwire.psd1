@{
    # The installable manifest; './build.ps1 Build' copies it beside the binaries in out/Patchwire.
    RootModule           = 'Patchwire.PowerShell.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = 'c9dfb2a6-9fda-4cf4-b507-5a43f7e078d4'
    Author               = 'Patchwire for PowerShell'
    CompanyName          = 'Patchwire for PowerShell'
    Copyright            = '(c) Patchwire for PowerShell contributors. MIT License.'
    Description          = 'Patchwire: one remote box runs an AI coding CLI for a whole team. Cmdlets for developers (ask, chat, sync, apply) and admins (users, queue, audit log).'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    FormatsToProcess     = @(
        'Formats/Users.format.ps1xml',
        'Formats/Queue.format.ps1xml',
        'Formats/Audit.format.ps1xml',
        'Formats/Ask.format.ps1xml',
        'Formats/Chat.format.ps1xml',
        'Formats/Sync.format.ps1xml',
        'Formats/Policy.format.ps1xml',
        'Formats/Usage.format.ps1xml',
        'Formats/Runs.format.ps1xml'
    )
    TypesToProcess       = @('Formats/Patchwire.types.ps1xml')
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
    PrivateData          = @{
        PSData = @{
            Tags       = @('Patchwire', 'AI', 'Claude', 'git', 'diff', 'PSEdition_Core', 'PSEdition_Desktop')
        }
    }
}
