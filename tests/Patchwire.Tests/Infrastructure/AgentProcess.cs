using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Patchwire.Core.Identity;

namespace Patchwire.Tests.Infrastructure;

/// <summary>
/// The real agent, started as its own process (dotnet patchwire-agent.dll serve) on 127.0.0.1 port 0
/// with PW_HOME in a temporary folder. Nothing of the test process's PW_* environment leaks into it.
/// </summary>
public sealed class AgentProcess : IAsyncDisposable
{
    private static readonly Regex Listening = new(@"^patchwire-agent listening on (http://\S+)$");
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly TaskCompletionSource<string> _url = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private AgentProcess(Process process, string home, IDictionary<string, string?> env)
    {
        _process = process;
        Home = home;
        Environment = env;
    }

    public string Home { get; }
    public IDictionary<string, string?> Environment { get; }
    public string BaseUrl { get; private set; } = "";
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public IReadOnlyCollection<string> Output => _output.ToArray();
    public string UsersFile => Environment.TryGetValue("PW_USERS_FILE", out var f) && f is not null ? f : Path.Combine(Home, "users.json");
    public string ProjectsRoot => Environment.TryGetValue("PW_PROJECTS_ROOT", out var r) && r is not null ? r : Path.Combine(Home, "projects");
    public UserRegistry Registry => new(UsersFile);

    /// <summary>
    /// The default environment for a test agent: everything under <paramref name="home"/>, port 0, short flushes, and
    /// no AI sandbox: most stand-ins keep notes for the test in folders the sandbox would hide. The sandbox's own tests
    /// (tests/Patchwire.Tests/Sandbox) set PW_SANDBOX=bwrap.
    /// </summary>
    public static Dictionary<string, string?> DefaultEnvironment(string home) => new()
    {
        ["PW_SANDBOX"] = "off",
        ["PW_HOME"] = home,
        ["PW_AGENT_HOST"] = "127.0.0.1",
        ["PW_AGENT_PORT"] = "0",
        ["PW_LAST_SEEN_FLUSH_SEC"] = "1",
    };

    public static async Task<AgentProcess> StartAsync(string home, IDictionary<string, string?>? overrides = null, TimeSpan? timeout = null)
    {
        var env = DefaultEnvironment(home);
        if (overrides is not null) foreach (var (k, v) in overrides) env[k] = v;
        var agent = Launch(home, env);
        var finished = await Task.WhenAny(agent._url.Task, Task.Delay(timeout ?? TimeSpan.FromSeconds(60)));
        if (finished != agent._url.Task)
        {
            await agent.DisposeAsync();
            throw new TimeoutException("The agent did not print its listening line. Output:\n" + string.Join("\n", agent.Output));
        }
        agent.BaseUrl = await agent._url.Task;
        return agent;
    }

    /// <summary>Runs the agent expecting it to refuse to start; returns its exit code and everything it printed.</summary>
    public static async Task<(int ExitCode, string Output)> RunToExitAsync(string home, IDictionary<string, string?>? overrides = null)
    {
        var env = DefaultEnvironment(home);
        if (overrides is not null) foreach (var (k, v) in overrides) env[k] = v;
        var agent = Launch(home, env);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try { await agent._process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            await agent.DisposeAsync();
            throw new TimeoutException("The agent kept running. Output:\n" + string.Join("\n", agent.Output));
        }
        agent._process.WaitForExit();
        return (agent._process.ExitCode, string.Join("\n", agent.Output));
    }

    private static AgentProcess Launch(string home, IDictionary<string, string?> env)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = home,
        };
        psi.ArgumentList.Add(TestPaths.AgentDll);
        psi.ArgumentList.Add("serve");
        ProcessRunner.ApplyEnvironment(psi, env);
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var agent = new AgentProcess(process, home, env);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            agent._output.Enqueue(e.Data);
            var m = Listening.Match(e.Data);
            if (m.Success) agent._url.TrySetResult(m.Groups[1].Value);
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) agent._output.Enqueue(e.Data); };
        process.Exited += (_, _) => agent._url.TrySetException(new InvalidOperationException("The agent exited before listening:\n" + string.Join("\n", agent.Output)));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return agent;
    }

    /// <summary>Waits until the agent has printed a line matching <paramref name="predicate"/>; returns it.</summary>
    public async Task<string> WaitForOutputAsync(Func<string, bool> predicate, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var line = _output.FirstOrDefault(predicate);
            if (line is not null) return line;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("No matching agent output. Output:\n" + string.Join("\n", Output));
            await Task.Delay(20);
        }
    }

    public HttpClient Client(string? token = null)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromMinutes(5) };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Adds a user straight to the registry file, as the admin cmdlets do; returns the token.</summary>
    public string AddUser(string name) => Registry.Add(name).Token;

    /// <summary>Asks the agent to shut down gracefully (SIGTERM) and waits.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited) return;
        if (OperatingSystem.IsWindows()) _process.Kill();
        else ProcessRunner.Run("kill", new[] { "-TERM", _process.Id.ToString() });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); }
    }

    /// <summary>kill -9: no shutdown code runs.</summary>
    public void KillHard()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: false);
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
