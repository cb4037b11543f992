using System.Net;
using System.Text.Json;
using Patchwire.Core.Configuration;
using Patchwire.PowerShell.Client;

namespace Patchwire.PowerShell.Setup;

/// <summary>The outcome of checking a token against the agent before saving it.</summary>
public enum TokenCheck
{
    /// <summary>GET /me answered 200: the token is good and names the user.</summary>
    Accepted,
    /// <summary>The agent could not be reached; nothing is known about the token.</summary>
    AgentUnreachable,
    /// <summary>401: the agent does not know the token.</summary>
    Rejected,
    /// <summary>403: the token's user is disabled.</summary>
    Disabled,
}

/// <summary>What 'patchwire setup' / Set-PatchwireConfiguration would save, and what the agent said about it.</summary>
public sealed class SetupPlan
{
    public string EnvFile { get; set; } = "";
    public string AgentUrl { get; set; } = "";
    public string Token { get; set; } = "";
    public string? User { get; set; }
    public TokenCheck Check { get; set; }
    /// <summary>Why the check did not accept the token (agent's words or the connection failure).</summary>
    public string? CheckMessage { get; set; }
    public List<string> Warnings { get; } = new();
}

/// <summary>
/// Laptop setup: verifies a token with GET /me and writes $PW_HOME/env (PW_TOKEN, PW_USER, PW_AGENT_URL), owner-only.
/// A token the agent rejects (401), whose user is disabled (403), or an agent that cannot be reached (a mistyped URL or
/// port) saves nothing unless forced: a working env file is never replaced by settings nobody could check.
/// </summary>
public static class LaptopSetup
{
    /// <param name="token">The token to save; null keeps the one already saved (to change only the agent URL).</param>
    public static async Task<SetupPlan> PlanAsync(string? token, string? agentUrl, string? user, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var home = PatchwireHome.FromEnvironment();
        var existing = EnvFile.Read(home.EnvFile);
        if (token is null)
        {
            if (!existing.TryGetValue("PW_TOKEN", out var savedToken) || string.IsNullOrWhiteSpace(savedToken))
                throw new ArgumentException($"No token is saved in {home.EnvFile} yet: give one with -Token (--token). Ask your admin for it ('New-PatchwireUser NAME' prints it).");
            token = savedToken;
        }
        token = token.Trim();
        if (token.Length == 0) throw new ArgumentException("The token is empty. Ask your admin for one ('patchwire-agent user add NAME' prints it).");
        if (token.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            throw new ArgumentException("The token contains spaces or control characters; copy it again exactly as the admin gave it (pw_ followed by 64 hex characters).");
        if (user is not null && Core.Identity.NameRules.Check(user, "user name") is { } badUser) throw new ArgumentException(badUser);

        var url = agentUrl ?? (existing.TryGetValue("PW_AGENT_URL", out var saved) && saved.Length > 0 ? saved : null)
                  ?? Environment.GetEnvironmentVariable("PW_AGENT_URL") ?? ClientSettingsLoader.DefaultAgentUrl;
        url = url.Trim().TrimEnd('/');
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            throw new ArgumentException($"The agent URL '{url}' is not an http:// or https:// URL, for example http://buildbox:7878.");

        var plan = new SetupPlan { EnvFile = home.EnvFile, AgentUrl = url, Token = token, User = user };
        using var client = new AgentClient(new ClientSettings { AgentUrl = url, Token = token }, timeout);
        try
        {
            using var me = await client.GetJsonAsync("/me", cancellationToken).ConfigureAwait(false);
            var name = me.RootElement.ValueKind == JsonValueKind.Object && me.RootElement.TryGetProperty("user", out var u) ? u.GetString() : null;
            plan.Check = TokenCheck.Accepted;
            if (name is null) plan.Warnings.Add($"The agent at {url} accepted the token but did not name the user.");
            else if (user is not null && !string.Equals(user, name, StringComparison.Ordinal))
                plan.Warnings.Add($"The token belongs to '{name}', not '{user}'; saving PW_USER={name} (the agent always takes the user from the token).");
            plan.User = name ?? user;
        }
        catch (AgentClientException ex) when (ex.Status == HttpStatusCode.Unauthorized)
        {
            plan.Check = TokenCheck.Rejected;
            plan.CheckMessage = $"The agent at {url} does not know this token (401). Check that you copied the whole token, or ask your admin to rotate it ('patchwire-agent user rotate NAME').";
        }
        catch (AgentClientException ex) when (ex.Status == HttpStatusCode.Forbidden)
        {
            plan.Check = TokenCheck.Disabled;
            plan.CheckMessage = $"The agent at {url} knows this token but its user is disabled (403). Ask your admin to run 'patchwire-agent user enable NAME'.";
        }
        catch (AgentClientException ex) when (ex.Status is null)
        {
            plan.Check = TokenCheck.AgentUnreachable;
            plan.CheckMessage = $"Could not reach the agent at {url} to check the token ({ex.Message}). Check the host name and port (Start-PatchwireAgent prints the URL it listens on)." +
                                (user is null ? " Saved only with --force (-Force); PW_USER then stays unset unless --user NAME is given." : "");
        }
        return plan;
    }

    /// <summary>Writes the plan into $PW_HOME/env, keeping any other KEY=VALUE lines already there.</summary>
    public static void Save(SetupPlan plan)
    {
        var values = new Dictionary<string, string>(EnvFile.Read(plan.EnvFile), StringComparer.Ordinal)
        {
            ["PW_TOKEN"] = plan.Token,
            ["PW_AGENT_URL"] = plan.AgentUrl,
        };
        if (plan.User is not null) values["PW_USER"] = plan.User;
        else values.Remove("PW_USER");
        EnvFile.Write(plan.EnvFile, values);
        foreach (var variable in new[] { "PW_TOKEN", "PW_AGENT_URL", "PW_USER" })
        {
            var current = Environment.GetEnvironmentVariable(variable);
            if (!string.IsNullOrEmpty(current) && values.TryGetValue(variable, out var savedValue) && current != savedValue)
                plan.Warnings.Add($"{variable} is set in this session's environment and wins over the saved value; remove it (Remove-Item Env:{variable}) to use the saved one.");
        }
    }

    public static string Mask(string? token) =>
        string.IsNullOrEmpty(token) ? "" : token!.Length <= 10 ? new string('*', token.Length) : token.Substring(0, 6) + "…" + token.Substring(token.Length - 4);
}
