namespace Patchwire.Tests.Infrastructure;

/// <summary>
/// What the agent test beds share: a temp folder holding the agent's PW_HOME (<see cref="Home"/>), the agent process,
/// and one token per user, kept across agent restarts (the registry is on disk).
/// </summary>
public abstract class AgentTestBed(string tempPrefix) : IAsyncDisposable
{
    private readonly Dictionary<string, string> _tokens = new(StringComparer.Ordinal);

    protected TempDirectory TempDirectory { get; } = new(tempPrefix);

    public AgentProcess Agent { get; protected set; } = null!;
    public string Temp => TempDirectory.Path;
    public string Home => TempDirectory.Combine("home");

    /// <summary>The user's token, adding the user on first use.</summary>
    public string Token(string user)
    {
        if (!_tokens.TryGetValue(user, out var token))
        {
            token = Agent.AddUser(user);
            _tokens[user] = token;
        }
        return token;
    }

    public HttpClient Client(string user) => Agent.Client(Token(user));

    public async ValueTask DisposeAsync()
    {
        await Agent.DisposeAsync();
        AfterAgentStopped();
        TempDirectory.Dispose();
    }

    /// <summary>Clean-up between stopping the agent and deleting the temp folder (e.g. stand-ins that outlived it).</summary>
    protected virtual void AfterAgentStopped() { }
}
