<#
.SYNOPSIS
    The demo's stand-in for `claude --print`. It is NOT an AI: it reads the prompt from stdin and edits
    files deterministically, so the demo runs offline. Production uses PW_AI_BIN=claude PW_AI_ARGS=--print.
.DESCRIPTION
    - A prompt mentioning "retr" adds a retry helper to client.py.
    - A prompt mentioning "test" adds a test file.
    - Anything else appends a line to NOTES.md.
    It waits PW_DEMO_AI_SECONDS (default 2) first, and while the file named by PW_DEMO_GATE (if set) does
    not exist (at most a minute), so the demo can show a full queue whatever the machine's speed.
#>
$prompt = [Console]::In.ReadToEnd()
$seconds = if ($env:PW_DEMO_AI_SECONDS) { [double] $env:PW_DEMO_AI_SECONDS } else { 2 }
Start-Sleep -Milliseconds ([int]($seconds * 1000))
if ($env:PW_DEMO_GATE) {
    $deadline = (Get-Date).AddMinutes(1)
    while (-not (Test-Path $env:PW_DEMO_GATE) -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 100 }
}

if ($prompt -match 'retr') {
    $client = Get-Content client.py -Raw
    $client = $client -replace 'def fetch\(url\):', @'
def with_retries(call, attempts=3):
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except OSError:
            if attempt == attempts:
                raise


def fetch(url):
'@
    $client = $client -replace 'return urlopen\(url\)\.read\(\)', 'return with_retries(lambda: urlopen(url).read())'
    Set-Content -Path client.py -Value $client -NoNewline
    Write-Output 'Added with_retries() to client.py and used it in fetch().'
}
elseif ($prompt -match 'test') {
    New-Item -ItemType Directory -Path tests -Force | Out-Null
    Set-Content -Path tests/test_client.py -Value "from client import fetch`n`n`ndef test_fetch_is_callable():`n    assert callable(fetch)`n"
    Write-Output 'Added tests/test_client.py.'
}
else {
    Add-Content -Path NOTES.md -Value "- $($prompt.Trim())"
    Write-Output 'Noted the request in NOTES.md.'
}
