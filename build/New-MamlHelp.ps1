<#
.SYNOPSIS
    Writes the module's MAML help file from the cmdlets' own metadata: [Synopsis], [Description] and
    [Example] attributes on each cmdlet class, the HelpMessage of each parameter, [OutputType], and the
    defaults a new instance of the cmdlet holds.
.DESCRIPTION
    One syntax block per parameter set (the default set first), so Get-Help shows which parameters go
    together. Nullable value types are shown as their underlying type (-Port <Int32>, not Nullable`1).
    INPUTS come from the parameters that take pipeline input, OUTPUTS from [OutputType].
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

function Attr($member, [string] $name) {
    $member.GetCustomAttributes($true) | Where-Object { $_.GetType().Name -eq $name }
}
function Para([string] $text) {
    foreach ($line in ($text -split "`n")) { $w.WriteElementString('para', $ns.maml, $line) }
}
# The name a person reads: Int32 for int and int?, String[] for string[], SwitchParameter as is.
function TypeName([type] $type) {
    $underlying = [Nullable]::GetUnderlyingType($type)
    if ($underlying) { return $underlying.Name }
    return $type.Name
}
function TypeFullName([type] $type) {
    $underlying = [Nullable]::GetUnderlyingType($type)
    if ($underlying) { return $underlying.FullName }
    return $type.FullName
}
$common = [System.Collections.Generic.HashSet[string]]::new([string[]]@(
    'Verbose', 'Debug', 'ErrorAction', 'WarningAction', 'InformationAction', 'ErrorVariable', 'WarningVariable',
    'InformationVariable', 'OutVariable', 'OutBuffer', 'PipelineVariable', 'WhatIf', 'Confirm', 'ProgressAction'))
$allSets = '__AllParameterSets'

$w.WriteStartDocument()
$w.WriteStartElement('helpItems', 'http://msh')
$w.WriteAttributeString('schema', 'maml')
$cmdlets = $assembly.GetExportedTypes() | Where-Object { -not $_.IsAbstract -and (Attr $_ 'CmdletAttribute') } | Sort-Object Name
foreach ($type in $cmdlets) {
    $cmdlet = Attr $type 'CmdletAttribute'
    $name = "$($cmdlet.VerbName)-$($cmdlet.NounName)"
    $synopsis = (Attr $type 'SynopsisAttribute').Text
    $description = (Attr $type 'DescriptionAttribute').Text
    $examples = @(Attr $type 'ExampleAttribute')
    if (-not $synopsis -or $examples.Count -eq 0) { throw "$name has no [Synopsis] or no [Example]: every cmdlet needs help with examples." }
    $instance = try { [Activator]::CreateInstance($type) } catch { $null }

    $params = foreach ($p in $type.GetProperties()) {
        $attributes = @(Attr $p 'ParameterAttribute')
        if ($attributes.Count -eq 0 -or $common.Contains($p.Name)) { continue }
        $default = $null
        if ($instance -and $p.PropertyType.Name -ne 'SwitchParameter') {
            $value = $p.GetValue($instance)
            $isEmpty = $null -eq $value -or ($value -is [string] -and $value -eq '') -or ($value -is [array] -and $value.Count -eq 0) -or
                ($p.PropertyType.IsValueType -and -not [Nullable]::GetUnderlyingType($p.PropertyType) -and $value -eq [Activator]::CreateInstance($p.PropertyType) -and $value -isnot [bool])
            if (-not $isEmpty) { $default = "$value" }
        }
        [pscustomobject]@{
            Property   = $p
            Attributes = $attributes
            Aliases    = @((Attr $p 'AliasAttribute') | ForEach-Object { $_.AliasNames })
            Default    = $default
            Wildcards  = [bool]@(Attr $p 'SupportsWildcardsAttribute').Count
        }
    }

    # Parameter sets: each named set gets the parameters in it plus those in every set.
    $setNames = @($params | ForEach-Object { $_.Attributes.ParameterSetName } | Where-Object { $_ -ne $allSets } | Select-Object -Unique)
    if ($cmdlet.DefaultParameterSetName -and $setNames -contains $cmdlet.DefaultParameterSetName) {
        $setNames = @($cmdlet.DefaultParameterSetName) + @($setNames | Where-Object { $_ -ne $cmdlet.DefaultParameterSetName })
    }
    if ($setNames.Count -eq 0) { $setNames = @($allSets) }

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

    $w.WriteStartElement('syntax', $ns.command)
    foreach ($set in $setNames) {
        $w.WriteStartElement('syntaxItem', $ns.command)
        $w.WriteElementString('name', $ns.maml, $name)
        $inSet = foreach ($p in $params) {
            $a = $p.Attributes | Where-Object { $_.ParameterSetName -eq $set -or $_.ParameterSetName -eq $allSets } | Select-Object -First 1
            if ($a) { [pscustomobject]@{ P = $p; A = $a } }
        }
        # Positional parameters first, in position order, as PowerShell's own syntax lines show them.
        $inSet = @($inSet | Sort-Object @{ Expression = { if ($_.A.Position -ge 0) { $_.A.Position } else { [int]::MaxValue } } }, @{ Expression = { -not $_.A.Mandatory } })
        foreach ($entry in $inSet) {
            $w.WriteStartElement('parameter', $ns.command)
            $w.WriteAttributeString('required', "$($entry.A.Mandatory)".ToLowerInvariant())
            $w.WriteAttributeString('position', $(if ($entry.A.Position -ge 0) { "$($entry.A.Position)" } else { 'named' }))
            $w.WriteElementString('name', $ns.maml, $entry.P.Property.Name)
            if ($entry.P.Property.PropertyType.Name -ne 'SwitchParameter') {
                $w.WriteStartElement('parameterValue', $ns.command)
                $w.WriteAttributeString('required', 'true')
                $w.WriteString((TypeName $entry.P.Property.PropertyType))
                $w.WriteEndElement()
            }
            $w.WriteEndElement()
        }
        if ($cmdlet.SupportsShouldProcess) {
            foreach ($switch in 'WhatIf', 'Confirm') {
                $w.WriteStartElement('parameter', $ns.command)
                $w.WriteAttributeString('required', 'false'); $w.WriteAttributeString('position', 'named')
                $w.WriteElementString('name', $ns.maml, $switch)
                $w.WriteEndElement()
            }
        }
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('parameters', $ns.command)
    foreach ($p in $params) {
        $a = $p.Attributes[0]
        $pipeline = @()
        if ($p.Attributes | Where-Object ValueFromPipeline) { $pipeline += 'ByValue' }
        if ($p.Attributes | Where-Object ValueFromPipelineByPropertyName) { $pipeline += 'ByPropertyName' }
        $w.WriteStartElement('parameter', $ns.command)
        $w.WriteAttributeString('required', "$([bool]($p.Attributes | Where-Object Mandatory))".ToLowerInvariant())
        $w.WriteAttributeString('position', $(if ($a.Position -ge 0) { "$($a.Position)" } else { 'named' }))
        $w.WriteAttributeString('pipelineInput', $(if ($pipeline) { "True ($($pipeline -join ', '))" } else { 'False' }))
        $w.WriteAttributeString('globbing', "$($p.Wildcards)".ToLowerInvariant())
        $w.WriteAttributeString('variableLength', "$($p.Property.PropertyType.IsArray)".ToLowerInvariant())
        if ($p.Aliases) { $w.WriteAttributeString('aliases', ($p.Aliases -join ', ')) }
        $w.WriteElementString('name', $ns.maml, $p.Property.Name)
        $help = $p.Attributes | Where-Object HelpMessage | Select-Object -First 1 -ExpandProperty HelpMessage
        $w.WriteStartElement('description', $ns.maml); Para ($(if ($help) { $help } else { $p.Property.Name })); $w.WriteEndElement()
        $w.WriteStartElement('parameterValue', $ns.command)
        $w.WriteAttributeString('required', "$($p.Property.PropertyType.Name -ne 'SwitchParameter')".ToLowerInvariant())
        $w.WriteString((TypeName $p.Property.PropertyType))
        $w.WriteEndElement()
        $w.WriteStartElement('type', $ns.dev); $w.WriteElementString('name', $ns.maml, (TypeFullName $p.Property.PropertyType)); $w.WriteEndElement()
        $w.WriteElementString('defaultValue', $ns.dev, $(if ($p.Property.PropertyType.Name -eq 'SwitchParameter') { 'False' } elseif ($null -ne $p.Default) { $p.Default } else { 'None' }))
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    # INPUTS: what the pipeline can carry into this cmdlet.
    $w.WriteStartElement('inputTypes', $ns.command)
    $byValue = @($params | Where-Object { $_.Attributes | Where-Object ValueFromPipeline })
    $byName = @($params | Where-Object { -not ($_.Attributes | Where-Object ValueFromPipeline) -and ($_.Attributes | Where-Object ValueFromPipelineByPropertyName) })
    if ($byValue.Count -eq 0 -and $byName.Count -eq 0) {
        $w.WriteStartElement('inputType', $ns.command)
        $w.WriteStartElement('type', $ns.dev); $w.WriteElementString('name', $ns.maml, 'None'); $w.WriteEndElement()
        $w.WriteStartElement('description', $ns.maml); Para 'This cmdlet takes no pipeline input.'; $w.WriteEndElement()
        $w.WriteEndElement()
    }
    foreach ($p in $byValue) {
        $w.WriteStartElement('inputType', $ns.command)
        $w.WriteStartElement('type', $ns.dev); $w.WriteElementString('name', $ns.maml, (TypeFullName $p.Property.PropertyType)); $w.WriteEndElement()
        $w.WriteStartElement('description', $ns.maml); Para "Bound to -$($p.Property.Name)$(if ($p.Attributes | Where-Object ValueFromPipelineByPropertyName) { ', by value or from a property of that name' })."; $w.WriteEndElement()
        $w.WriteEndElement()
    }
    if ($byName.Count -gt 0) {
        $w.WriteStartElement('inputType', $ns.command)
        $w.WriteStartElement('type', $ns.dev); $w.WriteElementString('name', $ns.maml, 'System.Management.Automation.PSObject'); $w.WriteEndElement()
        $names = $byName | ForEach-Object { (@($_.Property.Name) + $_.Aliases) -join ' or ' }
        $w.WriteStartElement('description', $ns.maml); Para "Any object with a property named $($names -join ', ') (bound by property name)."; $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    # OUTPUTS: from [OutputType].
    $w.WriteStartElement('returnValues', $ns.command)
    $outputs = @((Attr $type 'OutputTypeAttribute') | ForEach-Object { $_.Type } | ForEach-Object { $_.Name } | Where-Object { $_ -and $_ -ne 'System.Void' })
    if ($outputs.Count -eq 0) { $outputs = @('None') }
    foreach ($output in $outputs) {
        $w.WriteStartElement('returnValue', $ns.command)
        $w.WriteStartElement('type', $ns.dev); $w.WriteElementString('name', $ns.maml, $output); $w.WriteEndElement()
        $w.WriteStartElement('description', $ns.maml); Para $(if ($output -eq 'None') { 'This cmdlet returns nothing.' } else { "Format-List * shows every property of $($output -replace '^.*\.', '')." }); $w.WriteEndElement()
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

    $w.WriteStartElement('relatedLinks', $ns.maml)
    $w.WriteStartElement('navigationLink', $ns.maml); $w.WriteElementString('linkText', $ns.maml, 'about_Patchwire'); $w.WriteEndElement()
    $w.WriteEndElement()
    $w.WriteEndElement()
}
$w.WriteEndElement()
$w.WriteEndDocument()
$w.Close()
