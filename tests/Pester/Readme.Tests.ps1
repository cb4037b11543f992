# README.md's examples, run as a reader would: every ```powershell block preceded by <!-- runnable: box --> or
# <!-- runnable: laptop --> runs in document order against a real agent (a stand-in AI, temporary folders). The
# agent URLs in the blocks are replaced by the test agent's; $token is the token the admin gave the developer.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:RepoRoot = Resolve-Path (Join-Path $PSScriptRoot '../..')
    $script:Manifest = Join-Path $RepoRoot 'out/Patchwire/Patchwire.psd1'
    Import-Module $Manifest -Force
    $script:Saved = @{}
    foreach ($name in 'PW_HOME', 'PW_TOKEN', 'PW_USER', 'PW_AGENT_URL') { $script:Saved[$name] = [Environment]::GetEnvironmentVariable($name) }
    $env:PW_TOKEN = $null; $env:PW_USER = $null; $env:PW_AGENT_URL = $null

    $readme = Get-Content (Join-Path $RepoRoot 'README.md') -Raw
    $script:Blocks = @([regex]::Matches($readme, '<!-- runnable: (box|laptop) -->\r?\n```powershell\r?\n(.*?)```', 'Singleline') |
        ForEach-Object { [pscustomobject]@{ Side = $_.Groups[1].Value; Code = $_.Groups[2].Value } })

    $script:BoxHome = Join-Path $TestDrive 'box-home'
    $script:LaptopHome = Join-Path $TestDrive 'laptop-home'
    New-Item -ItemType Directory $BoxHome, $LaptopHome | Out-Null
    # The stand-in AI: edits files the way the README's prompts ask, and answers in plain text.
    $ai = Join-Path $TestDrive 'stand-in-ai.sh'
    Set-Content $ai -NoNewline -Value @'
PROMPT=$(cat)
case "$PROMPT" in
  *retr*) printf '\n\ndef with_retries(call, attempts=3):\n    return call()\n' >> client.py; echo "Added with_retries() to client.py." ;;
  *test*) mkdir -p tests; printf 'def test_fetch():\n    assert True\n' > tests/test_client.py; echo "Added tests/test_client.py." ;;
  *) echo "The retry logic is in client.py, in with_retries()." ;;
esac
'@
    $agent = Start-TestAgent -Manifest $Manifest -AgentHome $BoxHome -AiArgs "'$ai'"
    $script:AgentProcess = $agent.Process
    $script:AgentUrl = $agent.Url

    $script:Project = Join-Path $TestDrive 'team-app'
    New-Item -ItemType Directory $Project | Out-Null
    git -C $Project init -q -b main
    Set-Content (Join-Path $Project 'client.py') "from urllib.request import urlopen`n`n`ndef fetch(url):`n    return urlopen(url).read()"
    git -C $Project add -A
    git -C $Project -c user.name=t -c user.email=t@t.invalid commit -q -m sample
}

AfterAll {
    if ($AgentProcess -and -not $AgentProcess.HasExited) { $AgentProcess.Kill($true); $AgentProcess.WaitForExit() }
    foreach ($name in $Saved.Keys) { [Environment]::SetEnvironmentVariable($name, $Saved[$name]) }
}

Describe 'README.md examples' {
    It 'marks runnable blocks for the box and for a laptop' {
        @($Blocks | Where-Object Side -eq 'box').Count | Should -BeGreaterOrEqual 3
        @($Blocks | Where-Object Side -eq 'laptop').Count | Should -BeGreaterOrEqual 2
    }

    It 'keeps its first lines: the demo and the test commands' {
        $first = (Get-Content (Join-Path $RepoRoot 'README.md') -TotalCount 6) -join "`n"
        $first | Should -Match ([regex]::Escape('dotnet tool restore && dotnet pwsh ./build.ps1 Demo'))
        $first | Should -Match ([regex]::Escape('dotnet tool restore && dotnet pwsh ./build.ps1 Test'))
    }

    It 'runs every runnable block, in order, as a reader would' {
        $token = $null
        $outputs = [System.Collections.Generic.List[string]]::new()
        Push-Location $TestDrive
        try {
            for ($i = 0; $i -lt $Blocks.Count; $i++) {
                $block = $Blocks[$i]
                if ($block.Side -eq 'box') {
                    $env:PW_HOME = $BoxHome
                    Set-Location $BoxHome
                }
                else {
                    if (-not $token) {
                        $env:PW_HOME = $BoxHome
                        $token = (Reset-PatchwireUserToken ana -Confirm:$false).Token
                    }
                    $env:PW_HOME = $LaptopHome
                    Set-Location $Project
                }
                $code = $block.Code -replace 'http://(buildbox|127\.0\.0\.1):7878', $AgentUrl
                try {
                    $ErrorActionPreference = 'Stop'
                    $text = . ([scriptblock]::Create($code)) 6>$null | Out-String -Width 80
                    $outputs.Add($text)
                }
                catch { throw "README block $($i + 1) ($($block.Side)) failed: $_`n$code" }
                finally { $ErrorActionPreference = 'Continue' }
            }
        }
        finally { Pop-Location }

        $env:PW_HOME = $BoxHome
        (Get-PatchwireUser).Name | Should -Be @('admin', 'ana', 'ben')
        Get-Content (Join-Path $Project 'client.py') -Raw | Should -Match 'def with_retries'
        ($outputs -join "`n") | Should -Match 'Token\s*:\s*pw_[0-9a-f]{64}'
        @(Get-PatchwireAuditLog -Limit 0).Count | Should -BeGreaterOrEqual 3
    }
}
