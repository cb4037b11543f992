using System.Text.Json;
using Patchwire.PowerShell.Identity;

namespace Patchwire.Tests.Laptop;

/// <summary>
/// Client verbs upstream has (issue 12, item 6): whoami / Get-PatchwireIdentity, setup --token-stdin, and --json on
/// sync, apply, queue, log, usage and whoami: stdout of a real 'pwsh -c' is the JSON and nothing else.
/// </summary>
[Collection(PowerShellCollection.Name)]
public sealed class ClientVerbTests
{
    private const string EditingAi = """
        sed -i 's/^line 2$/line TWO/' f.txt
        """;

    [Fact]
    public async Task Whoami_names_the_token_s_user_as_text_json_and_an_object_and_a_bad_token_is_an_error_without_json()
    {
        await using var bed = await LaptopTestBed.StartAsync("exit 0");
        var token = bed.Agent.AddUser("ana");
        var project = bed.CreateProject();

        var json = await ChildPwsh.RunAsync(bed, project.Path, "patchwire whoami --json", token);
        Assert.True(json.ExitCode == 0, json.Stdout + json.Stderr);
        var me = ChildPwsh.OnlyJson(json.Stdout);
        Assert.Equal("ana", me.GetProperty("user").GetString());
        Assert.False(me.GetProperty("disabled").GetBoolean());
        Assert.Equal(bed.Agent.BaseUrl, me.GetProperty("agentUrl").GetString());
        Assert.True(me.GetProperty("createdAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddHours(-1));

        var rejected = await ChildPwsh.RunAsync(bed, project.Path, "patchwire whoami --json", "pw_" + new string('0', 64));
        Assert.Equal(1, rejected.ExitCode);
        Assert.Equal("", rejected.Stdout.Trim());
        Assert.Contains("401", rejected.Stderr);

        using var session = bed.Session(token);
        session.Invoke($"Set-Location '{project.Path}'");
        var identity = (PatchwireIdentity)Assert.Single(session.Invoke("Get-PatchwireIdentity")).BaseObject;
        Assert.Equal(("ana", false, bed.Agent.BaseUrl), (identity.User, identity.Disabled, identity.AgentUrl));
        Assert.Equal($"ana on {bed.Agent.BaseUrl}", Assert.Single(session.Invoke("patchwire whoami")).ToString());
        var table = string.Join("\n", session.Invoke("Get-PatchwireIdentity | Out-String -Width 200").Select(o => o.ToString()));
        Assert.Contains("User", table);
        Assert.Contains("active", table);

        bed.Agent.Registry.SetDisabled("ana", true);
        var (output, errors) = session.Run("Get-PatchwireIdentity");
        Assert.Empty(output);
        Assert.Contains("403", Assert.Single(errors).ToString());

        using var stranger = bed.Session("pw_" + new string('1', 64));
        stranger.Invoke($"Set-Location '{project.Path}'");
        var (none, refused) = stranger.Run("Get-PatchwireIdentity");
        Assert.Empty(none);
        Assert.Contains("401", Assert.Single(refused).ToString());
    }

    [Fact]
    public async Task Sync_apply_and_queue_answer_one_json_document_with_json()
    {
        await using var bed = await LaptopTestBed.StartAsync(EditingAi);
        var token = bed.Agent.AddUser("ana");
        var project = bed.CreateProject();

        var sync = await ChildPwsh.RunAsync(bed, project.Path, "patchwire sync --json", token);
        Assert.True(sync.ExitCode == 0, sync.Stdout + sync.Stderr);
        var synced = ChildPwsh.OnlyJson(sync.Stdout);
        Assert.Equal("team-app", synced.GetProperty("project").GetString());
        Assert.Matches("^[0-9a-f]{40}$", synced.GetProperty("baseline").GetString()!);
        Assert.True(synced.GetProperty("transferred").GetBoolean());
        Assert.True(synced.GetProperty("bytesSent").GetInt64() > 0);

        using (var session = bed.Session(token))
            session.Invoke($"Set-Location '{project.Path}'; patchwire ask 'edit' --save-only *> $null");
        var apply = await ChildPwsh.RunAsync(bed, project.Path, "patchwire apply --json", token);
        Assert.True(apply.ExitCode == 0, apply.Stdout + apply.Stderr);
        var applied = ChildPwsh.OnlyJson(apply.Stdout);
        Assert.Equal("Direct", applied.GetProperty("method").GetString());
        Assert.Equal("f.txt", Assert.Single(applied.GetProperty("files").EnumerateArray()).GetProperty("path").GetString());
        Assert.Equal(1, applied.GetProperty("linesAdded").GetInt32());
        Assert.Contains("line TWO", project.Read("f.txt"));

        var queue = await ChildPwsh.RunAsync(bed, project.Path, "patchwire queue --json", token);
        Assert.True(queue.ExitCode == 0, queue.Stdout + queue.Stderr);
        var snapshot = ChildPwsh.OnlyJson(queue.Stdout);
        Assert.Equal(3, snapshot.GetProperty("globalCap").GetInt32());
        Assert.Equal(JsonValueKind.Array, snapshot.GetProperty("queued").ValueKind);

        // A failure in --json mode: nothing on stdout, the error on stderr, exit 1.
        var missing = await ChildPwsh.RunAsync(bed, project.Path, "patchwire apply no-such.patch --json", token);
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("", missing.Stdout.Trim());
        Assert.Contains("does not exist", missing.Stderr);
    }

    [Fact]
    public async Task Log_and_usage_json_print_only_json_even_over_a_log_with_torn_lines()
    {
        await using var bed = await LaptopTestBed.StartAsync(EditingAi);
        var token = bed.Agent.AddUser("ana");
        var project = bed.CreateProject();
        using (var session = bed.Session(token))
            session.Invoke($"Set-Location '{project.Path}'; patchwire ask 'edit' --save-only *> $null");
        var log = Path.Combine(bed.AgentHome, "agent.log");
        File.AppendAllText(log, "{\"ts\":\"torn\n");

        var usage = await ChildPwsh.RunAsync(bed, project.Path, $"patchwire-agent usage --json --path '{log}'", token);
        Assert.True(usage.ExitCode == 0, usage.Stdout + usage.Stderr);
        var rows = ChildPwsh.OnlyJson(usage.Stdout).GetProperty("rows");
        Assert.Equal("ana", Assert.Single(rows.EnumerateArray()).GetProperty("name").GetString());

        // log --json is upstream's raw JSONL: every line one JSON document, nothing else (the torn line's warning is not printed).
        var lines = await ChildPwsh.RunAsync(bed, project.Path, $"patchwire-agent log --json --path '{log}'", token);
        Assert.True(lines.ExitCode == 0, lines.Stdout + lines.Stderr);
        var entry = ChildPwsh.OnlyJson(Assert.Single(lines.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal("ana", entry.GetProperty("user").GetString());
    }

    [Fact]
    public async Task Setup_token_stdin_reads_the_token_from_a_pipe_and_refuses_empty_input_or_both_forms()
    {
        await using var bed = await LaptopTestBed.StartAsync("exit 0");
        var token = bed.Agent.AddUser("ana");
        var envFile = Path.Combine(bed.LaptopHome, "env");

        var piped = await ChildPwsh.RunAsync(bed, bed.LaptopHome, $"patchwire setup --token-stdin --agent-url {bed.Agent.BaseUrl}", null, stdin: token + "\n");
        Assert.True(piped.ExitCode == 0, piped.Stdout + piped.Stderr);
        Assert.Contains($"PW_TOKEN={token}", File.ReadAllLines(envFile));
        Assert.DoesNotContain(token, piped.Stdout + piped.Stderr);

        File.Delete(envFile);
        var empty = await ChildPwsh.RunAsync(bed, bed.LaptopHome, $"patchwire setup --token-stdin --agent-url {bed.Agent.BaseUrl}", null, stdin: "\n\n");
        Assert.Equal(1, empty.ExitCode);
        Assert.Contains("standard input held no token", empty.Stderr);
        Assert.False(File.Exists(envFile));

        using var session = bed.Session(null);
        session.Invoke($"'{token}' | patchwire setup --token-stdin --agent-url {bed.Agent.BaseUrl}");
        Assert.Contains($"PW_TOKEN={token}", File.ReadAllLines(envFile));
        var (_, both) = session.Run($"'{token}' | patchwire setup --token-stdin --token {token}");
        Assert.Contains("--token and --token-stdin exclude each other", Assert.Single(both).ToString());
        Assert.Equal(2, session.GetVariable("LASTEXITCODE"));
    }
}
