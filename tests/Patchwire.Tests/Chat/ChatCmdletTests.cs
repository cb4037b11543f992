using System.Management.Automation;
using Patchwire.PowerShell.Chat;
using Patchwire.Tests.Runs;

// Not Patchwire.Tests.Chat: that namespace would hide the audit tests' AuditTestData.Chat(...) helper.
namespace Patchwire.Tests.ChatTurns;

[Collection(PowerShellCollection.Name)]
public sealed class ChatCmdletTests
{
    private static (PowerShellSession Session, GitRepo Laptop) Laptop(ChatTestBed bed, string laptopHome)
    {
        var laptop = GitRepo.Init(Path.Combine(laptopHome, "work", "app"));
        laptop.Write("src/app.txt", "line one\nline two\n");
        laptop.CommitAll("laptop project");
        var ps = new PowerShellSession(Path.Combine(laptopHome, "home"), new Dictionary<string, string?>
        {
            ["PW_AGENT_URL"] = bed.Agent.BaseUrl,
            ["PW_TOKEN"] = bed.Token("ana"),
            ["PW_USER"] = "ana",
        });
        return (ps, laptop);
    }

    [Fact]
    public async Task Invoke_PatchwireChat_syncs_streams_the_reply_returns_turns_and_applies()
    {
        await using var bed = await ChatTestBed.StartAsync();
        using var temp = new TempDirectory("pw-chat-laptop");
        var (ps, laptop) = Laptop(bed, temp.Path);
        using var _ = ps;
        laptop.Write("notes.txt", "an untracked note the turn should see\n");

        var output = ps.Invoke("Invoke-PatchwireChat -Path $dir -Prompt $p 6>&1", new Dictionary<string, object?>
        {
            ["dir"] = laptop.Path,
            ["p"] = "say: reading notes, turn {turn}\nsay: done\nwrite: src/new.txt added by the AI\ntokens: 40 8",
        });
        var hostText = string.Concat(output.Select(o => o.BaseObject).OfType<InformationRecord>().Select(r => r.MessageData is HostInformationMessage m ? m.Message + (m.NoNewLine == true ? "" : "\n") : ""));
        Assert.Equal("reading notes, turn 1\ndone\n", hostText);
        var first = Assert.Single(output.Select(o => o.BaseObject).OfType<PatchwireChatTurn>());
        Assert.NotEqual(Guid.Empty, first.SessionId);
        Assert.Equal(1, first.TurnIndex);
        Assert.Equal("reading notes, turn 1\ndone", first.Text);
        Assert.Equal(40, first.TokensIn);
        Assert.Equal(8, first.TokensOut);
        Assert.Equal("src/new.txt", Assert.Single(first.Files).Path);
        Assert.Contains("+added by the AI", first.Patch);
        Assert.NotNull(first.Baseline);
        Assert.Null(first.Applied);
        Assert.False(File.Exists(Path.Combine(laptop.Path, "src", "new.txt")));

        // Continue the session by piping the turn; apply this time.
        var second = (PatchwireChatTurn)ps.Invoke("$t | Invoke-PatchwireChat -Path $dir -Prompt $p -Apply -Confirm:$false", new Dictionary<string, object?>
        {
            ["t"] = first,
            ["dir"] = laptop.Path,
            ["p"] = "say: turn {turn}\nwrite: src/app.txt rewritten\ntokens: 2 1",
        }).Single().BaseObject;
        Assert.Equal(first.SessionId, second.SessionId);
        Assert.Equal(2, second.TurnIndex);
        Assert.Equal("turn 2", second.Text);
        Assert.NotNull(second.Applied);
        Assert.Equal("rewritten\n", laptop.Read("src/app.txt"));
        Assert.Contains("--resume", bed.ArgsLog[^1]);

        var status = await bed.StatusAsync("ana", first.SessionId.ToString());
        Assert.Equal(42, status.GetProperty("tokensIn").GetInt64());
        Assert.Equal(2, bed.AuditLines().Count);

        // -WhatIf applies nothing; the default view renders.
        ps.Invoke("Invoke-PatchwireChat -Path $dir -Session $s -Prompt 'write: src/app.txt again' -Apply -WhatIf | Out-String", new Dictionary<string, object?>
        {
            ["dir"] = laptop.Path,
            ["s"] = first.SessionId,
        });
        Assert.Equal("rewritten\n", laptop.Read("src/app.txt"));
        var view = string.Concat(ps.Invoke("$t | Out-String", new Dictionary<string, object?> { ["t"] = second }).Select(o => o.ToString()));
        Assert.Contains(second.SessionId.ToString(), view);
        Assert.Contains("1 file +1 -2", view);

        // The session as the agent keeps it, then ended (-WhatIf first: nothing happens).
        var kept = (PatchwireChatSession)ps.Invoke("$t | Get-PatchwireChatSession", new Dictionary<string, object?> { ["t"] = second }).Single().BaseObject;
        Assert.Equal(first.SessionId, kept.SessionId);
        Assert.Equal("app", kept.Project);
        Assert.Equal("done", kept.Status);
        Assert.Equal(3, kept.TurnCount);
        Assert.Equal(42, kept.TokensIn);
        Assert.Equal(9, kept.TokensOut);
        ps.Invoke("Remove-PatchwireChatSession -Session $s -WhatIf", new Dictionary<string, object?> { ["s"] = first.SessionId });
        await bed.StatusAsync("ana", first.SessionId.ToString());
        ps.Invoke("$t | Remove-PatchwireChatSession -Confirm:$false", new Dictionary<string, object?> { ["t"] = second });
        await bed.StatusAsync("ana", first.SessionId.ToString(), System.Net.HttpStatusCode.NotFound);
        var (_, missing) = ps.Run("Get-PatchwireChatSession -Session $s", new Dictionary<string, object?> { ["s"] = first.SessionId });
        Assert.Equal(ErrorCategory.ObjectNotFound, Assert.Single(missing).CategoryInfo.Category);
    }

    [Fact]
    public async Task A_failed_turn_is_a_terminating_error_and_patchwire_chat_runs_one_turn_without_a_terminal()
    {
        await using var bed = await ChatTestBed.StartAsync();
        using var temp = new TempDirectory("pw-chat-laptop");
        var (ps, laptop) = Laptop(bed, temp.Path);
        using var _ = ps;
        var vars = new Dictionary<string, object?> { ["dir"] = laptop.Path };

        // Terminating: the statement after it in the same try block never runs.
        var caught = ps.Invoke("try { Invoke-PatchwireChat -Path $dir -Prompt \"say: oops`ncrash\"; 'went on' } catch { $_ }", vars);
        var failure = (ErrorRecord)Assert.Single(caught).BaseObject;
        Assert.Equal("Patchwire.Chat.turn_failed,Patchwire.PowerShell.Chat.InvokePatchwireChatCommand", failure.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidResult, failure.CategoryInfo.Category);
        Assert.Contains("code 3", failure.Exception.Message);

        // -NoSync for a project the agent never got: a 404 worded for chat, before any turn.
        var never = GitRepo.Init(Path.Combine(temp.Path, "work", "never-synced"));
        var notFound = (ErrorRecord)Assert.Single(ps.Invoke("try { Invoke-PatchwireChat -Path $d -NoSync -Prompt 'say: x' } catch { $_ }", new Dictionary<string, object?> { ["d"] = never.Path })).BaseObject;
        Assert.Equal(ErrorCategory.ObjectNotFound, notFound.CategoryInfo.Category);
        Assert.Contains("Chat without -NoSync", notFound.Exception.Message);

        var (_, bindErrors) = ps.Run("Invoke-PatchwireChat -Path $dir -Session 'not-a-guid' -Prompt 'say: x'", vars);
        Assert.StartsWith("CannotConvertArgument", Assert.Single(bindErrors).FullyQualifiedErrorId);

        // The CLI under a host without a terminal: one turn, reply lines as output, changes applied with --yes, no prompt.
        var lines = ps.Invoke("patchwire chat \"say: line one`nsay: line two`nwrite: cli.txt from the cli\" --yes --path $dir; \"exit=$LASTEXITCODE\"", vars)
            .Select(o => o.ToString()).ToList();
        Assert.Equal("line one", lines[0]);
        Assert.Equal("line two", lines[1]);
        Assert.Contains(lines, l => l.StartsWith("turn 1 · 1 file changed (+1 -0)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Applied 1 file", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Session ", StringComparison.Ordinal));
        Assert.Equal("exit=0", lines[^1]);
        Assert.Equal("from the cli\n", laptop.Read("cli.txt"));

        // No prompt and no terminal: a usage error at once, not a wait for input.
        var (output, errors) = ps.Run("patchwire chat --path $dir; \"exit=$LASTEXITCODE\"", vars);
        Assert.Equal("exit=2", output[^1].ToString());
        Assert.Contains("no terminal", errors.Single().ToString());
    }
}
