using System.Net;
using System.Text;
using System.Text.Json;

namespace Patchwire.Tests.Identity;

/// <summary>
/// The agent's bearer scheme and caller policy as a client meets them: every route but GET /health refuses a
/// request without a known token with 401 {"error":"unauthorized"} and a disabled user's with 403
/// {"error":"user disabled"}, before the route reads anything.
/// </summary>
public sealed class BearerSchemeTests
{
    private const string Unauthorized = "{\"error\":\"unauthorized\"}";
    private const string Disabled = "{\"error\":\"user disabled\"}";

    private static async Task<(HttpStatusCode Status, string Body, string? Challenge, string? ContentType)> SendAsync(
        AgentProcess agent, HttpMethod method, string path, string? authorization, HttpContent? content = null)
    {
        using var client = agent.Client();
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(),
            response.Headers.WwwAuthenticate.FirstOrDefault()?.ToString(), response.Content.Headers.ContentType?.ToString());
    }

    [Fact]
    public async Task A_missing_header_is_401_with_the_json_body_and_a_bearer_challenge()
    {
        using var home = new TempDirectory();
        await using var agent = await AgentProcess.StartAsync(home.Path);
        var (status, body, challenge, contentType) = await SendAsync(agent, HttpMethod.Get, "/me", null);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(Unauthorized, body);
        Assert.Equal("Bearer", challenge);
        Assert.Equal("application/json; charset=utf-8", contentType);
    }

    [Fact]
    public async Task Malformed_schemes_and_empty_tokens_are_401_and_the_scheme_name_is_case_insensitive()
    {
        using var home = new TempDirectory();
        await using var agent = await AgentProcess.StartAsync(home.Path);
        var token = agent.AddUser("ana");

        foreach (var header in new[] { "Basic " + token, "Token " + token, token, "Bearer", "Bearer ", "Bearer    ", "Bearer" + token, "Bearer: " + token })
        {
            var (status, body, challenge, _) = await SendAsync(agent, HttpMethod.Get, "/me", header);
            Assert.True(status == HttpStatusCode.Unauthorized, $"'{header}': {status} {body}");
            Assert.Equal(Unauthorized, body);
            Assert.Equal("Bearer", challenge);
        }
        foreach (var header in new[] { "bearer " + token, "BEARER " + token, "Bearer  " + token + "  " })
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(agent, HttpMethod.Get, "/me", header)).Status);
    }

    [Fact]
    public async Task An_unknown_token_is_401_on_every_route_and_nothing_is_read_or_written()
    {
        using var home = new TempDirectory();
        await using var agent = await AgentProcess.StartAsync(home.Path);
        agent.AddUser("ana");
        var uuid = Guid.NewGuid().ToString();
        var routes = new (HttpMethod Method, string Path, HttpContent? Body)[]
        {
            (HttpMethod.Get, "/me", null),
            (HttpMethod.Get, "/queue", null),
            (HttpMethod.Post, "/ask", Json(new { prompt = "hi", project = "app" })),
            (HttpMethod.Post, "/chat", Json(new { uuid, prompt = "hi", project = "app" })),
            (HttpMethod.Get, "/sync/app", null),
            (HttpMethod.Post, "/sync/app", new ByteArrayContent(new byte[] { 1, 2, 3 })),
            (HttpMethod.Get, $"/session/{uuid}/status", null),
            (HttpMethod.Delete, $"/session/{uuid}", null),
        };
        foreach (var header in new[] { null, "Bearer pw_" + new string('0', 64) })
            foreach (var (method, path, body) in routes)
            {
                var (status, text, _, _) = await SendAsync(agent, method, path, header, body is null ? null : await CopyAsync(body));
                Assert.True(status == HttpStatusCode.Unauthorized, $"{method} {path} with '{header}': {status} {text}");
                Assert.Equal(Unauthorized, text);
            }
        Assert.False(Directory.Exists(Path.Combine(agent.ProjectsRoot, "ana", "app")));
        Assert.False(File.Exists(Path.Combine(home.Path, "agent.log")));
        Assert.False(File.Exists(Path.Combine(home.Path, "agent-sessions.json")));
    }

    [Fact]
    public async Task A_disabled_user_is_403_everywhere_but_health_and_is_not_marked_seen()
    {
        using var home = new TempDirectory();
        await using var agent = await AgentProcess.StartAsync(home.Path);
        var token = agent.AddUser("ana");
        agent.Registry.SetDisabled("ana", true);
        var bearer = "Bearer " + token;

        foreach (var (method, path) in new[] { (HttpMethod.Get, "/me"), (HttpMethod.Get, "/queue"), (HttpMethod.Post, "/ask"), (HttpMethod.Get, "/sync/app"), (HttpMethod.Get, "/no-such-route") })
        {
            var (status, body, challenge, contentType) = await SendAsync(agent, method, path, bearer,
                method == HttpMethod.Post ? Json(new { prompt = "hi", project = "app" }) : null);
            Assert.True(status == HttpStatusCode.Forbidden, $"{method} {path}: {status} {body}");
            Assert.Equal(Disabled, body);
            Assert.Null(challenge);
            Assert.Equal("application/json; charset=utf-8", contentType);
        }
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(agent, HttpMethod.Get, "/health", bearer)).Status);

        await agent.StopAsync(); // shutdown flushes last-seen times: a refused user has none
        Assert.Null(agent.Registry.Find("ana")!.LastSeen);
    }

    [Fact]
    public async Task Health_needs_no_token_and_ignores_a_bad_one()
    {
        using var home = new TempDirectory();
        await using var agent = await AgentProcess.StartAsync(home.Path);
        foreach (var header in new[] { null, "Bearer nope", "Basic abc", "Bearer" })
        {
            var (status, body, challenge, _) = await SendAsync(agent, HttpMethod.Get, "/health", header);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.True(JsonDocument.Parse(body).RootElement.GetProperty("ok").GetBoolean());
            Assert.Null(challenge);
        }
    }

    /// <summary>
    /// The caller policy is also the fallback policy, which covers every request whose endpoint carries no
    /// authorization metadata: a route mapped without RequireAuthorization(), or no route at all. Unknown paths and
    /// methods are the cases a black-box test can reach; without a token they are 401, not 404/405.
    /// </summary>
    [Fact]
    public async Task Requests_that_match_no_protected_route_still_need_a_token()
    {
        using var home = new TempDirectory();
        await using var agent = await AgentProcess.StartAsync(home.Path);
        var bearer = "Bearer " + agent.AddUser("ana");
        var cases = new (HttpMethod Method, string Path, HttpStatusCode Known)[]
        {
            (HttpMethod.Get, "/no-such-route", HttpStatusCode.NotFound),
            (HttpMethod.Post, "/health", HttpStatusCode.MethodNotAllowed),
            (HttpMethod.Delete, "/queue", HttpStatusCode.MethodNotAllowed),
            (HttpMethod.Get, "/health/extra", HttpStatusCode.NotFound),
        };
        foreach (var (method, path, known) in cases)
        {
            var (status, body, challenge, _) = await SendAsync(agent, method, path, null);
            Assert.True(status == HttpStatusCode.Unauthorized, $"{method} {path}: {status} {body}");
            Assert.Equal(Unauthorized, body);
            Assert.Equal("Bearer", challenge);
            Assert.Equal(known, (await SendAsync(agent, method, path, bearer)).Status);
        }
    }

    private static StringContent Json(object value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");

    private static async Task<HttpContent> CopyAsync(HttpContent content)
    {
        var copy = new ByteArrayContent(await content.ReadAsByteArrayAsync());
        foreach (var header in content.Headers) copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
        return copy;
    }
}
