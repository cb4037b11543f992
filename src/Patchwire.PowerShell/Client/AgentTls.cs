using System.Net.Http;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Patchwire.PowerShell.Client;

/// <summary>
/// https to the agent: the system's trust store, plus the certificates of PW_AGENT_CA (a PEM file: a team's own CA or
/// the agent's self-signed certificate) trusted in addition. There is no way to skip verification. The certificate the
/// agent presented is kept so setup and doctor can show its subject and expiry.
/// </summary>
internal sealed class AgentTls
{
    public const string CaVariable = "PW_AGENT_CA";

    private readonly X509Certificate2[] _extraRoots;

    private AgentTls(X509Certificate2[] extraRoots) => _extraRoots = extraRoots;

    /// <summary>The agent's certificate as last seen: "CN=box, expires 2027-01-31".</summary>
    public string? ServerCertificate { get; private set; }

    /// <exception cref="AgentClientException">PW_AGENT_CA names a file that cannot be read or holds no certificate.</exception>
    public static HttpClientHandler CreateHandler(string? caFile, out AgentTls tls)
    {
        tls = new AgentTls(caFile is null ? Array.Empty<X509Certificate2>() : LoadPem(caFile));
        var state = tls;
        return new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, certificate, _, errors) => state.Validate(certificate, errors) };
    }

    private bool Validate(X509Certificate2? certificate, SslPolicyErrors errors)
    {
        if (certificate is null) return false;
        ServerCertificate = $"{certificate.Subject}, expires {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd}";
        if (errors == SslPolicyErrors.None) return true;
        // A wrong host name is never excused; only an issuer unknown to the system store may be one of PW_AGENT_CA's.
        if (errors != SslPolicyErrors.RemoteCertificateChainErrors || _extraRoots.Length == 0) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.AllowUnknownCertificateAuthority;
        foreach (var root in _extraRoots) chain.ChainPolicy.ExtraStore.Add(root);
        if (!chain.Build(certificate)) return false;
        var anchor = chain.ChainElements[chain.ChainElements.Count - 1].Certificate;
        if (!_extraRoots.Any(r => r.RawData.SequenceEqual(anchor.RawData))) return false;
        // AllowUnknownCertificateAuthority waived only the untrusted root; anything else (expired, wrong usage) still fails.
        return chain.ChainStatus.All(s => s.Status is X509ChainStatusFlags.NoError or X509ChainStatusFlags.UntrustedRoot);
    }

    /// <summary>Every 'BEGIN CERTIFICATE' block of a PEM file (netstandard2.0 has no PEM reader).</summary>
    internal static X509Certificate2[] LoadPem(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new AgentClientException($"{CaVariable} '{path}' cannot be read: {ex.Message}");
        }
        const string begin = "-----BEGIN CERTIFICATE-----", end = "-----END CERTIFICATE-----";
        var certificates = new List<X509Certificate2>();
        for (var at = text.IndexOf(begin, StringComparison.Ordinal); at >= 0; at = text.IndexOf(begin, at, StringComparison.Ordinal))
        {
            var stop = text.IndexOf(end, at, StringComparison.Ordinal);
            if (stop < 0) break;
            var base64 = text.Substring(at + begin.Length, stop - at - begin.Length);
            try { certificates.Add(new X509Certificate2(Convert.FromBase64String(string.Concat(base64.Where(c => !char.IsWhiteSpace(c)))))); }
            catch (Exception ex) when (ex is FormatException or System.Security.Cryptography.CryptographicException)
            {
                throw new AgentClientException($"{CaVariable} '{path}' holds a certificate block that cannot be read: {ex.Message}");
            }
            at = stop + end.Length;
        }
        if (certificates.Count == 0) throw new AgentClientException($"{CaVariable} '{path}' holds no PEM certificate ('-----BEGIN CERTIFICATE-----').");
        return certificates.ToArray();
    }

    /// <summary>The TLS failure inside a failed request, if that is what it was.</summary>
    public static AuthenticationException? FindTlsFailure(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
            if (e is AuthenticationException auth) return auth;
        return null;
    }
}
