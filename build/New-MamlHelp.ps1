<#
.SYNOPSIS
    Writes the module's MAML help file from the cmdlets' own metadata: [Synopsis], [Description] and
    [Example] attributes on each cmdlet class and the HelpMessage of each parameter.
#>
param(
    [Parameter(Mandatory)] [string] $AssemblyPath,
    [Parameter(Mandatory)] [string] $OutputPath
)
$ErrorActionPreference = 'Stop'

$assembly = [System.Reflection.Assembly]::LoadFrom($AssemblyPath)
$ns = @{
    maml    = 'http://schemas.microsoft.com/maml/2004/10'
    command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    dev     = 'http://schemas.microsoft.com/maml/dev/2004/10'
}
$settings = [System.Xml.XmlWriterSettings]::new()
$settings.Indent = $true
$settings.Encoding = [System.Text.UTF8Encoding]::new($false)
New-Item -ItemType Directory -Path (Split-Path $OutputPath) -Force | Out-Null
$w = [System.Xml.XmlWriter]::Create($OutputPath, $settings)

function Attr($type, [string] $name) {
    $type.GetCustomAttributes($true) | Where-Object { $_.GetType().Name -eq $name }
}
function Para([string] $text) {
    foreach ($line in ($text -split "`n")) { $w.WriteElementString('para', $ns.maml, $line) }
}
$common = [System.Collections.Generic.HashSet[string]]::new([string[]]@(
    'Verbose', 'Debug', 'ErrorAction', 'WarningAction', 'InformationAction', 'ErrorVariable', 'WarningVariable',
    'InformationVariable', 'OutVariable', 'OutBuffer', 'PipelineVariable', 'WhatIf', 'Confirm', 'ProgressAction'))

$w.WriteStartDocument()
$w.WriteStartElement('helpItems', 'http://msh')
$w.WriteAttributeString('schema', 'maml')
$cmdlets = $assembly.GetExportedTypes() | Where-Object { Attr $_ 'CmdletAttribute' } | Sort-Object Name
foreach ($type in $cmdlets) {
    $cmdlet = Attr $type 'CmdletAttribute'
    $name = "$($cmdlet.VerbName)-$($cmdlet.NounName)"
    $synopsis = (Attr $type 'SynopsisAttribute').Text
    $description = (Attr $type 'DescriptionAttribute').Text
    $examples = @(Attr $type 'ExampleAttribute')
    if (-not $synopsis -or $examples.Count -eq 0) { throw "$name has no [Synopsis] or no [Example]: every cmdlet needs help with examples." }

    $w.WriteStartElement('command', 'command', $ns.command)
    $w.WriteAttributeString('xmlns', 'maml', $null, $ns.maml)
    $w.WriteAttributeString('xmlns', 'dev', $null, $ns.dev)
    $w.WriteStartElement('details', $ns.command)
    $w.WriteElementString('name', $ns.command, $name)
    $w.WriteElementString('verb', $ns.command, $cmdlet.VerbName)
    $w.WriteElementString('noun', $ns.command, $cmdlet.NounName)
    $w.WriteStartElement('description', $ns.maml); Para $synopsis; $w.WriteEndElement()
    $w.WriteEndElement()
    $w.WriteStartElement('description', $ns.maml); Para ($(if ($description) { $description } else { $synopsis })); $w.WriteEndElement()

    $params = foreach ($p in $type.GetProperties()) {
        $pa = @($p.GetCustomAttributes($true) | Where-Object { $_.GetType().Name -eq 'ParameterAttribute' })
        if ($pa.Count -gt 0 -and -not $common.Contains($p.Name)) { [pscustomobject]@{ Property = $p; Attribute = $pa[0] } }
    }
    $w.WriteStartElement('syntax', $ns.command)
    $w.WriteStartElement('syntaxItem', $ns.command)
    $w.WriteElementString('name', $ns.maml, $name)
    foreach ($p in $params) {
        $w.WriteStartElement('parameter', $ns.command)
        $w.WriteAttributeString('required', "$($p.Attribute.Mandatory)".ToLowerInvariant())
        $w.WriteAttributeString('position', $(if ($p.Attribute.Position -ge 0) { "$($p.Attribute.Position)" } else { 'named' }))
        $w.WriteElementString('name', $ns.maml, $p.Property.Name)
        if ($p.Property.PropertyType.Name -ne 'SwitchParameter') { $w.WriteElementString('parameterValue', $ns.command, $p.Property.PropertyType.Name) }
        $w.WriteEndElement()
    }
    $w.WriteEndElement(); $w.WriteEndElement()

    $w.WriteStartElement('parameters', $ns.command)
    foreach ($p in $params) {
        $pipeline = @()
        if ($p.Attribute.ValueFromPipeline) { $pipeline += 'ByValue' }
        if ($p.Attribute.ValueFromPipelineByPropertyName) { $pipeline += 'ByPropertyName' }
        $w.WriteStartElement('parameter', $ns.command)
        $w.WriteAttributeString('required', "$($p.Attribute.Mandatory)".ToLowerInvariant())
        $w.WriteAttributeString('position', $(if ($p.Attribute.Position -ge 0) { "$($p.Attribute.Position)" } else { 'named' }))
        $w.WriteAttributeString('pipelineInput', $(if ($pipeline) { "True ($($pipeline -join ', '))" } else { 'False' }))
        $w.WriteAttributeString('globbing', "$([bool](@($p.Property.GetCustomAttributes($true) | Where-Object { $_.GetType().Name -eq 'SupportsWildcardsAttribute' }).Count))".ToLowerInvariant())
        $w.WriteElementString('name', $ns.maml, $p.Property.Name)
        $w.WriteStartElement('description', $ns.maml); Para ($(if ($p.Attribute.HelpMessage) { $p.Attribute.HelpMessage } else { $p.Property.Name })); $w.WriteEndElement()
        $w.WriteElementString('parameterValue', $ns.command, $p.Property.PropertyType.Name)
        $w.WriteStartElement('type', $ns.dev); $w.WriteElementString('name', $ns.maml, $p.Property.PropertyType.FullName); $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('examples', $ns.command)
    $i = 0
    foreach ($e in $examples) {
        $i++
        $w.WriteStartElement('example', $ns.command)
        $w.WriteElementString('title', $ns.maml, "-------------------------- Example $i --------------------------")
        $w.WriteElementString('code', $ns.dev, $e.Code)
        $w.WriteStartElement('remarks', $ns.dev); Para $e.Remarks; $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()
    $w.WriteEndElement()
}
$w.WriteEndElement()
$w.WriteEndDocument()
$w.Close()
