using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Patchwire.PowerShell.Client;

/// <summary>A failure talking to the agent, worded for the person at the keyboard.</summary>
public sealed class AgentClientException(string message, HttpStatusCode? status = null, string? errorCode = null, Exception? inner = null)
    : Exception(message, inner)
{
    public HttpStatusCode? Status { get; } = status;
    /// <summary>The agent's {"error": "..."} value, when it sent one.</summary>
    public string? ErrorCode { get; } = errorCode;
}

/// <summary>Authenticated HTTP to the agent. Plain HTTP failures become <see cref="AgentClientException"/>s a person can act on.</summary>
public sealed class AgentClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly AgentTls _tls;

    /// <exception cref="AgentClientException">PW_AGENT_CA cannot be read or holds no certificate.</exception>
    public AgentClient(ClientSettings settings, TimeSpan? timeout = null)
    {
        Settings = settings;
        var ca = settings.AgentCa ?? (Environment.GetEnvironmentVariable(AgentTls.CaVariable) is { Length: > 0 } v ? v : null);
        _http = new HttpClient(AgentTls.CreateHandler(ca, out _tls), disposeHandler: true) { BaseAddress = new Uri(settings.AgentUrl.TrimEnd('/') + "/"), Timeout = timeout ?? Timeout.InfiniteTimeSpan };
        if (!string.IsNullOrEmpty(settings.Token))
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", settings.Token);
    }

    public ClientSettings Settings { get; }
    public HttpClient Http => _http;

    /// <summary>The https agent's certificate once a request reached it: "CN=box, expires 2027-01-31"; null over http.</summary>
    public string? ServerCertificate => _tls.ServerCertificate;

    public async Task<JsonDocument> GetJsonAsync(string path, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, path.TrimStart('/')), cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        return JsonDocument.Parse(text);
    }

    public static StringContent Json(object body) =>
        new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    /// <summary>Sends and returns a successful response (headers read, body not yet), else throws with a clear message.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken = default)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex) when (AgentTls.FindTlsFailure(ex) is { } tls)
        {
            throw new AgentClientException(
                $"TLS failed with the Patchwire agent at {Settings.AgentUrl}: its certificate{(_tls.ServerCertificate is { } c ? $" ({c})" : "")} is not trusted by this machine ({tls.Message}). " +
                $"If your team uses its own CA or a self-signed certificate, set {AgentTls.CaVariable} to that certificate's PEM file; check that the URL's host name is in the certificate.", null, null, ex);
        }
        catch (HttpRequestException ex)
        {
            throw new AgentClientException(
                $"Cannot reach the Patchwire agent at {Settings.AgentUrl} ({ex.InnerException?.Message ?? ex.Message}). Is it running? Check PW_AGENT_URL, or run 'patchwire doctor'.", null, null, ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AgentClientException($"The Patchwire agent at {Settings.AgentUrl} did not answer in time.", null, null, ex);
        }
        if (response.IsSuccessStatusCode) return response;

        var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        string? error = null, detail = null;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var e)) error = e.GetString();
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String) detail = m.GetString();
        }
        catch (JsonException) { }
        var status = response.StatusCode;
        response.Dispose();
        var message = status switch
        {
            HttpStatusCode.Unauthorized => $"The agent at {Settings.AgentUrl} rejected the token (401 unauthorized). Ask your admin for a token and run 'patchwire setup --token pw_...'.",
            HttpStatusCode.Forbidden when detail is not null => $"The agent at {Settings.AgentUrl} refused the request (403 {error}): {detail}.",
            HttpStatusCode.Forbidden => $"The agent at {Settings.AgentUrl} says this user is disabled (403). Ask your admin to run 'Enable-PatchwireUser'.",
            _ => $"The agent answered {(int)status} {status}: {error ?? body}",
        };
        throw new AgentClientException(message, status, error);
    }

    public void Dispose() => _http.Dispose();
}
