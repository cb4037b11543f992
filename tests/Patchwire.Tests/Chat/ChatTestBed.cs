using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;

// Not Patchwire.Tests.Chat: that namespace would hide the audit tests' AuditTestData.Chat(...) helper.
namespace Patchwire.Tests.ChatTurns;

/// <summary>
/// A real agent whose AI is the checked-in stand-in for Claude Code (tests/fixtures/chat/stand-in-claude.sh, run by
/// bash), with its state folder in the test's temp folder, and real git checkouts under the agent's projects root.
/// </summary>
public sealed class ChatTestBed : AgentTestBed
{
    private ChatTestBed() : base("pw-chat") { }

    public static string StandInScript => Path.Combine(TestPaths.RepoRoot, "tests", "fixtures", "chat", "stand-in-claude.sh");

    /// <summary>The stand-in's state: args.log (one line per run), pid (of the latest run), sessions/.</summary>
    public string StandInDir => TempDirectory.Combine("stand-in");
    public string Scratch => TempDirectory.Combine("scratch");
    public string AuditLog => Path.Combine(Home, "agent.log");
    /// <summary>The file older agents kept sessions in; moved into the store on start.</summary>
    public string LegacySessionsFile => Path.Combine(Home, "agent-sessions.json");
    /// <summary>The agent's embedded state store, which holds the chat sessions.</summary>
    public string StoreFile => StateStore.FileIn(Home);

    /// <summary>Every stored session row, its columns joined: what a look at the store on disk would show.</summary>
    public string StoredSessionsText => string.Join("\n", StateStore.SessionRows(StoreFile).Select(r => string.Join("|", r.Values)));

    /// <param name="prepare">Runs before the agent starts, with PW_HOME and the stand-in's folder made (e.g. to write an old sessions file).</param>
    public static async Task<ChatTestBed> StartAsync(IDictionary<string, string?>? env = null, Action<ChatTestBed>? prepare = null)
    {
        var bed = new ChatTestBed();
        Directory.CreateDirectory(bed.Home);
        Directory.CreateDirectory(bed.StandInDir);
        Directory.CreateDirectory(bed.Scratch);
        prepare?.Invoke(bed);
        var settings = new Dictionary<string, string?>
        {
            ["PW_AI_BIN"] = "bash",
            ["PW_AI_ARGS"] = $"'{StandInScript}' --print --standin-dir '{bed.StandInDir}'",
            ["PW_TIMEOUT_SEC"] = "60",
        };
        if (env is not null) foreach (var (k, v) in env) settings[k] = v;
        bed.Agent = await AgentProcess.StartAsync(bed.Home, settings);
        return bed;
    }

    /// <summary>Stops the agent (gracefully, or with kill -9) and starts it again on the same PW_HOME.</summary>
    public async Task RestartAsync(bool hard = false)
    {
        var env = new Dictionary<string, string?>(Agent.Environment);
        if (hard) Agent.KillHard(); else await Agent.StopAsync();
        await Agent.DisposeAsync();
        Agent = await AgentProcess.StartAsync(Home, env);
    }

    public GitRepo CreateCheckout(string user, string project = "app")
    {
        Token(user);
        var repo = GitRepo.Init(Path.Combine(Agent.ProjectsRoot, user, project));
        repo.Write("src/app.txt", "line one\nline two\n");
        repo.CommitAll("sample project");
        return repo;
    }

    public string[] ArgsLog => File.Exists(Path.Combine(StandInDir, "args.log")) ? File.ReadAllLines(Path.Combine(StandInDir, "args.log")) : Array.Empty<string>();

    /// <summary>The process id of the stand-in's latest run, once it has started.</summary>
    public async Task<int> StandInPidAsync()
    {
        var file = Path.Combine(StandInDir, "pid");
        for (var i = 0; i < 200 && !File.Exists(file); i++) await Task.Delay(50);
        return int.Parse(File.ReadAllText(file).Trim());
    }

    public async Task<JsonElement> StatusAsync(string user, string uuid, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var client = Client(user);
        using var response = await client.GetAsync($"/session/{uuid}/status");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"GET status: expected {expected}, got {response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public IReadOnlyList<JsonElement> AuditLines() =>
        File.Exists(AuditLog)
            ? File.ReadAllLines(AuditLog).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList()
            : Array.Empty<JsonElement>();
}

/// <summary>One POST /chat read event by event, as a client that watches the stream would.</summary>
public sealed class ChatStream : NdjsonStream
{
    private ChatStream(Opened opened) : base(opened) { }

    public string Text => string.Concat(Events.Where(e => Type(e) == "chat_text").Select(e => e.GetProperty("chunk").GetString()));
    public JsonElement Last => Events[^1];

    public static string Type(JsonElement e) => e.GetProperty("type").GetString()!;

    public static Task<ChatStream> OpenAsync(HttpClient client, string uuid, string prompt, string project = "app", CancellationToken cancellationToken = default) =>
        OpenAsync(client, new { uuid, prompt, project }, cancellationToken);

    public static async Task<ChatStream> OpenAsync(HttpClient client, object body, CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/chat") { Content = JsonContent.Create(body) };
        var stream = new ChatStream(await SendAsync(client, request, cancellationToken));
        if (stream.ErrorBody is null) Assert.Equal("application/x-ndjson", stream.ContentType);
        return stream;
    }

    /// <summary>Reads until an event of <paramref name="type"/> (whose chunk, for chat_text, contains <paramref name="containing"/>).</summary>
    public async Task<JsonElement> UntilAsync(string type, string? containing = null)
    {
        while (await NextAsync() is { } e)
        {
            if (Type(e) == type && (containing is null || Text.Contains(containing, StringComparison.Ordinal))) return e;
        }
        throw new Xunit.Sdk.XunitException($"The stream ended before a {type} event. Events: {string.Join(" ", Events.Select(Type))}");
    }

    public static async Task<ChatStream> TurnAsync(HttpClient client, string uuid, string prompt, string project = "app")
    {
        var stream = await OpenAsync(client, uuid, prompt, project);
        Assert.True(stream.Status == HttpStatusCode.OK, $"POST /chat: {stream.Status} {stream.ErrorBody}");
        await stream.ReadAllAsync();
        return stream;
    }
}

/// <summary>Reads the agent's SQLite state store as a person with sqlite3 would (read-only, WAL included).</summary>
public static class StateStore
{
    public static string FileIn(string home) => Path.Combine(home, "agent-state", "detached-runs.db");

    public static List<Dictionary<string, object?>> SessionRows(string file, string where = "1 = 1")
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT * FROM chat_sessions WHERE " + where + " ORDER BY user, created_ms, uuid";
        using var reader = command.ExecuteReader();
        var rows = new List<Dictionary<string, object?>>();
        while (reader.Read())
        {
            var row = new Dictionary<string, object?>();
            for (var i = 0; i < reader.FieldCount; i++) row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }
}
