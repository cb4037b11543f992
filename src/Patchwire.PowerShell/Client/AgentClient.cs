using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Management.Automation;
using System.Text.Json;
using Patchwire.Core.Protocol;
using Patchwire.PowerShell.Common;

namespace Patchwire.PowerShell.Client;

/// <summary>A failure talking to the agent, worded for the person at the keyboard; its error id follows from the status and the agent's error.</summary>
public sealed class AgentClientException(string message, HttpStatusCode? status = null, string? errorCode = null, Exception? inner = null, string? recommendedAction = null, ErrorBody? body = null)
    : PatchwireException(message, IdFor(status, errorCode).Id, IdFor(status, errorCode).Category, recommendedAction ?? ActionFor(status, errorCode), inner)
{
    public HttpStatusCode? Status { get; } = status;
    /// <summary>The agent's {"error": "..."} value, when it sent one.</summary>
    public string? ErrorCode { get; } = errorCode;
    /// <summary>The whole error body, when the agent sent JSON.</summary>
    public ErrorBody? Body { get; } = body;

    /// <summary>The same failure with a message (and advice) worded for the command that met it.</summary>
    public AgentClientException Reworded(string message, string? recommendedAction = null) =>
        new(message, Status, ErrorCode, this, recommendedAction ?? RecommendedAction, Body);

    private static (string Id, ErrorCategory Category) IdFor(HttpStatusCode? status, string? error) => (status, error) switch
    {
        (HttpStatusCode.Unauthorized, _) => (ErrorIds.TokenRejected, ErrorCategory.AuthenticationError),
        (HttpStatusCode.Forbidden, null or HttpErrors.UserDisabled) => (ErrorIds.UserDisabled, ErrorCategory.PermissionDenied),
        (HttpStatusCode.Forbidden, _) => (ErrorIds.PolicyRefused, ErrorCategory.PermissionDenied),
        (HttpStatusCode.NotFound, _) => (ErrorIds.NotFound, ErrorCategory.ObjectNotFound),
        (HttpStatusCode.Conflict, HttpErrors.UnknownBaseline) => (ErrorIds.UnknownBaseline, ErrorCategory.ResourceUnavailable),
        (HttpStatusCode.Conflict, HttpErrors.CheckoutDirty) => (ErrorIds.CheckoutDirty, ErrorCategory.ResourceBusy),
        (HttpStatusCode.Conflict, _) => (ErrorIds.Conflict, ErrorCategory.ResourceBusy),
        (HttpStatusCode.PreconditionFailed, _) => (ErrorIds.PreconditionFailed, ErrorCategory.InvalidOperation),
        (HttpStatusCode.BadRequest, _) => (ErrorIds.BadRequest, ErrorCategory.InvalidArgument),
        ((HttpStatusCode)413, HttpErrors.PromptTooLarge) => (ErrorIds.PromptTooLarge, ErrorCategory.LimitsExceeded),
        ((HttpStatusCode)413, _) => (ErrorIds.TooLarge, ErrorCategory.LimitsExceeded),
        (null, _) => (ErrorIds.AgentUnreachable, ErrorCategory.ConnectionError),
        _ => (ErrorIds.AgentError, ErrorCategory.NotSpecified),
    };

    private static string? ActionFor(HttpStatusCode? status, string? error) => status switch
    {
        HttpStatusCode.Unauthorized => "Ask your admin for a token, then: patchwire setup --token pw_...",
        HttpStatusCode.Forbidden when error is null or HttpErrors.UserDisabled => "Ask your admin to run: Enable-PatchwireUser <your name>",
        null => "Check PW_AGENT_URL and that the agent runs: patchwire doctor",
        _ => null,
    };
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
        var text = await ReadTextAsync(response, cancellationToken).ConfigureAwait(false);
        return JsonDocument.Parse(text);
    }

    /// <summary>
    /// The response body as text. netstandard2.0's ReadAsStringAsync takes no token, and an agent that sent its headers
    /// may never send the body: cancelling disposes the response, which ends the read.
    /// </summary>
    public static async Task<string> ReadTextAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        using (cancellationToken.Register(response.Dispose))
        {
            try
            {
                return await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is not OperationCanceledException)
            {
                throw new OperationCanceledException("Stopped while reading the agent's answer.", ex, cancellationToken);
            }
        }
    }

    public static StringContent Json<T>(T body) =>
        new(JsonSerializer.Serialize(body, ProtocolJson.Options), Encoding.UTF8, "application/json");

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

        var body = await ReadTextAsync(response, cancellationToken).ConfigureAwait(false);
        ErrorBody? parsed = null;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object) parsed = doc.RootElement.Deserialize<ErrorBody>(ProtocolJson.Options);
        }
        catch (JsonException) { }
        var error = parsed?.Error ?? parsed?.Code;
        var detail = parsed?.Message;
        var status = response.StatusCode;
        response.Dispose();
        var message = status switch
        {
            HttpStatusCode.Unauthorized => $"The agent at {Settings.AgentUrl} rejected the token (401 unauthorized). Ask your admin for a token and run 'patchwire setup --token pw_...'.",
            HttpStatusCode.Forbidden when detail is not null => $"The agent at {Settings.AgentUrl} refused the request (403 {error}): {detail}.",
            HttpStatusCode.Forbidden => $"The agent at {Settings.AgentUrl} says this user is disabled (403). Ask your admin to run 'Enable-PatchwireUser'.",
            (HttpStatusCode)413 when error == HttpErrors.PromptTooLarge => PromptTooLarge(parsed?.LimitBytes),
            HttpStatusCode.BadRequest when error == HttpErrors.SnapshotNamesUnsupported && detail is not null => $"The agent at {Settings.AgentUrl} refused the snapshot (400 {error}): {detail}",
            _ => $"The agent answered {(int)status} {status}: {error ?? body}",
        };
        throw new AgentClientException(message, status, error, body: parsed);
    }

    /// <summary>The 413 for a prompt, with the limit and the setting that raises it.</summary>
    public static string PromptTooLarge(long? limitBytes, long? promptBytes = null) =>
        $"The prompt is too large for the agent{(promptBytes is { } p ? $" ({p} bytes)" : "")}: its limit is {(limitBytes is { } l ? $"{l} bytes" : "PW_MAX_PROMPT_BYTES")}, set by PW_MAX_PROMPT_BYTES on the agent. Shorten the prompt, or ask the admin to raise the limit.";

    public void Dispose() => _http.Dispose();
}
