using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Patchwire.Core.Protocol;
using Patchwire.PowerShell.Ask;
using Patchwire.PowerShell.Cli;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Common;
using Patchwire.Tests.Laptop;

namespace Patchwire.Tests.Module;

/// <summary>The wire contract in Core.Protocol: every event type read by the module exactly as the agent writes it.</summary>
public sealed class ProtocolTests
{
    /// <summary>What the agent writes event lines with (NdjsonResponse): Core's source-generated context.</summary>
    private static readonly JsonSerializerOptions AgentJson = ProtocolJson.EventLines;

    /// <summary>The wire as it was before the source-generated context: reflection, same escaping.</summary>
    private static readonly JsonSerializerOptions ReflectionJson = new()
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };

    private static readonly Dictionary<string, Type> EventType = new()
    {
        [EventTypes.Queued] = typeof(QueuedEvent),
        [EventTypes.Accepted] = typeof(AcceptedEvent),
        [EventTypes.Result] = typeof(ResultEvent),
        [EventTypes.Error] = typeof(ErrorEvent),
        [EventTypes.ChatTurnStart] = typeof(ChatTurnStartEvent),
        [EventTypes.ChatText] = typeof(ChatTextEvent),
        [EventTypes.ChatDiff] = typeof(ChatDiffEvent),
        [EventTypes.ChatDone] = typeof(ChatDoneEvent),
    };

    /// <summary>Reads one NDJSON line the way the module does and writes it back with Core's type for its "type".</summary>
    private static JsonNode? ThroughTheModule(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var type = ProtocolJson.TypeOf(doc.RootElement);
        Assert.True(type is not null && EventType.ContainsKey(type), "an event type Core does not define: " + line);
        var read = new AgentEvent(type, doc.RootElement.Clone());
        var typed = typeof(AgentEvent).GetMethod(nameof(AgentEvent.As))!.MakeGenericMethod(EventType[type!]).Invoke(read, null);
        return JsonNode.Parse(JsonSerializer.Serialize(typed, EventType[type!], AgentJson));
    }

    public static IEnumerable<object[]> Events() => new object[][]
    {
        new object[] { new QueuedEvent { Position = 3 } },
        new object[] { new AcceptedEvent { QueueWaitMs = 1234 } },
        new object[] { new ResultEvent
        {
            Diff = "diff --git a/f b/f\n+x\n", Files = { "f", "new name" }, DurationMs = 42, Stdout = "said \"hi\" ✓", Stderr = "warn", ExitCode = 3, Baseline = new string('a', 40),
            Changes = { new FileChangeInfo { Path = "f", Status = "M", Additions = 1, Deletions = 0 }, new FileChangeInfo { Path = "new name", Status = "R", OldPath = "old name", Additions = null, Deletions = null } },
        } },
        new object[] { new ErrorEvent { Code = ErrorCodes.RunFailed, Message = "timed out" } },
        new object[] { new ErrorEvent { Code = ErrorCodes.TurnFailed, Message = "ai died", Recoverable = false } },
        new object[] { new ChatTurnStartEvent { SessionId = Guid.NewGuid().ToString(), TurnIndex = 2 } },
        new object[] { new ChatTextEvent { Chunk = "partial line, no end" } },
        new object[] { new ChatDiffEvent { Patch = "diff --git a/x b/x\n", Files = { new FileChangeInfo { Path = "x", Status = "A", Additions = 1, Deletions = 0 } } } },
        new object[] { new ChatDoneEvent { TokensIn = 40, TokensOut = 8, DurationMs = 900, TurnIndex = 2, Baseline = null } },
    };

    [Theory]
    [MemberData(nameof(Events))]
    public void Every_event_type_round_trips_from_the_agents_writer_through_the_modules_reader(object written)
    {
        // Both sides resolve the event through the generated context, and it writes the very bytes reflection wrote.
        Assert.NotNull(ProtocolJsonContext.Default.GetTypeInfo(written.GetType()));
        Assert.Same(ProtocolJsonContext.Default, ProtocolJson.Options.TypeInfoResolverChain[0]);
        var line = JsonSerializer.Serialize(written, written.GetType(), AgentJson);
        Assert.Equal(JsonSerializer.Serialize(written, written.GetType(), ReflectionJson), line);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(line), ThroughTheModule(line)), line);
    }

    [Fact]
    public void Every_event_type_is_covered_by_the_round_trip()
    {
        var covered = Events().Select(e => e[0].GetType()).ToHashSet();
        Assert.All(EventType.Values, t => Assert.Contains(t, covered));
        var declared = typeof(EventTypes).GetFields().Select(f => (string)f.GetValue(null)!).ToHashSet();
        Assert.Equal(declared, EventType.Keys.ToHashSet());
    }

    [Fact]
    public async Task What_a_real_agent_streams_for_ask_and_chat_loses_nothing_through_the_modules_types()
    {
        await using var bed = await LaptopTestBed.StartAsync("""
            sed -i 's/^line 2$/line TWO/' f.txt
            git mv -q f.txt g.txt 2>/dev/null || mv f.txt g.txt
            echo new > added.txt
            echo "the reply"
            """);
        var token = bed.Agent.AddUser("ana");
        var checkout = GitRepo.Init(Path.Combine(bed.Agent.ProjectsRoot, "ana", "app"));
        checkout.Write("f.txt", "line 1\nline 2\nline 3\n");
        checkout.CommitAll("f");
        using var client = bed.Agent.Client(token);

        var lines = new List<string>();
        foreach (var (route, body) in new (string, object)[] { ("/ask", new { prompt = "p", project = "app" }), ("/chat", new { uuid = Guid.NewGuid().ToString(), prompt = "p", project = "app" }) })
        {
            using var response = await client.PostAsJsonAsync(route, body);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            lines.AddRange((await response.Content.ReadAsStringAsync()).Split('\n').Where(l => l.Trim().Length > 0));
        }

        var types = lines.Select(l => ProtocolJson.TypeOf(JsonDocument.Parse(l).RootElement)).ToList();
        Assert.Contains(EventTypes.Result, types);
        Assert.Contains(EventTypes.ChatDiff, types);
        Assert.Contains(EventTypes.ChatDone, types);
        foreach (var line in lines)
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(line), ThroughTheModule(line)), "the module's type drops or changes a field of: " + line);
    }

    [Fact]
    public void An_unknown_baseline_409_gets_its_own_advice_and_id()
    {
        var settings = new ClientSettings { Project = "team-app", AgentUrl = "http://box:7878" };
        var unknown = (AgentClientException)AskErrors.Reword(new AgentClientException("409", HttpStatusCode.Conflict, HttpErrors.UnknownBaseline), settings, synced: true);
        Assert.Equal(ErrorIds.UnknownBaseline, unknown.ErrorId);
        Assert.DoesNotContain("uncommitted", unknown.Message);
        Assert.Contains("no longer has the snapshot", unknown.Message);
        Assert.Contains("Ask again", unknown.Message);

        var dirty = (AgentClientException)AskErrors.Reword(new AgentClientException("409", HttpStatusCode.Conflict, HttpErrors.CheckoutDirty), settings, synced: false);
        Assert.Equal(ErrorIds.CheckoutDirty, dirty.ErrorId);
        Assert.Contains("uncommitted changes", dirty.Message);
    }

    [Theory]
    [InlineData(true, "pwsh", "-NoProfile", "-NonInteractive", "-Command", "patchwire doctor")]
    [InlineData(true, "pwsh.dll", "-NoProfile", "-File", "ci.ps1")]
    [InlineData(true, "pwsh", "-nop", "-c", "patchwire doctor")]
    [InlineData(true, "powershell.exe", "-ExecutionPolicy", "Bypass", "-File", "ci.ps1")]
    [InlineData(true, "pwsh", "ci.ps1", "-NoExit")]
    [InlineData(true, "pwsh", "-EncodedCommand", "cABhAHQAYwBoAHcAaQByAGUA")]
    [InlineData(false, "pwsh")]
    [InlineData(false, "pwsh", "-NoProfile", "-NoLogo")]
    [InlineData(false, "pwsh", "-NoExit", "-Command", "Import-Module Patchwire")]
    [InlineData(false, "pwsh", "-WorkingDirectory", "/src", "-NoExit")]
    public void Only_a_pwsh_that_runs_a_script_and_exits_gets_the_exit_code(bool expected, params string[] commandLine) =>
        Assert.Equal(expected, ScriptHost.RunsScriptThenExits(commandLine));
}
