using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Patchwire.Agent.Configuration;

namespace Patchwire.Agent.Hosting;

/// <summary>
/// The https certificate from PW_TLS_CERT and PW_TLS_KEY (PEM). Each problem stops the start with one line naming the
/// variable at fault: a file that cannot be read, no certificate or key in it, a key that does not match, a
/// certificate not yet valid or expired.
/// </summary>
public static class TlsCertificate
{
    /// <exception cref="ConfigurationException">Naming PW_TLS_CERT or PW_TLS_KEY.</exception>
    public static X509Certificate2 Load(string certFile, string keyFile, DateTimeOffset? now = null)
    {
        var certPem = Read("PW_TLS_CERT", certFile);
        var keyPem = Read("PW_TLS_KEY", keyFile);
        using (var publicOnly = Parse("PW_TLS_CERT", certFile, () => X509Certificate2.CreateFromPem(certPem)))
        {
            var at = (now ?? DateTimeOffset.UtcNow).UtcDateTime;
            if (publicOnly.NotAfter.ToUniversalTime() < at)
                throw new ConfigurationException($"PW_TLS_CERT '{certFile}' expired on {publicOnly.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm} UTC ({publicOnly.Subject}); renew it.");
            if (publicOnly.NotBefore.ToUniversalTime() > at)
                throw new ConfigurationException($"PW_TLS_CERT '{certFile}' is not valid before {publicOnly.NotBefore.ToUniversalTime():yyyy-MM-dd HH:mm} UTC ({publicOnly.Subject}); check the box's clock.");
        }

        X509Certificate2 withKey;
        try
        {
            withKey = X509Certificate2.CreateFromPem(certPem, keyPem);
        }
        catch (CryptographicException ex)
        {
            throw new ConfigurationException($"PW_TLS_KEY '{keyFile}' does not match the certificate in PW_TLS_CERT '{certFile}' ({ex.Message.TrimEnd('.')}).");
        }
        catch (ArgumentException)
        {
            throw new ConfigurationException($"PW_TLS_KEY '{keyFile}' holds no PEM private key (an unencrypted 'BEGIN PRIVATE KEY', 'BEGIN RSA PRIVATE KEY' or 'BEGIN EC PRIVATE KEY' block).");
        }
        if (!OperatingSystem.IsWindows()) return withKey;
        // Windows' TLS stack cannot use an ephemeral key straight from PEM: give it a key it can find.
        using (withKey)
            return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>"CN=box.example, expires 2027-01-31" for the start-up line and the clients' doctor.</summary>
    public static string Describe(X509Certificate2 certificate) =>
        $"{certificate.Subject}, expires {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd}";

    /// <summary>True for 127.0.0.0/8, ::1 and "localhost": addresses no other machine can reach.</summary>
    public static bool IsLoopback(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    private static string Read(string variable, string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ConfigurationException($"{variable} '{path}' cannot be read: {ex.Message}");
        }
    }

    private static X509Certificate2 Parse(string variable, string path, Func<X509Certificate2> parse)
    {
        try
        {
            return parse();
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            throw new ConfigurationException($"{variable} '{path}' holds no PEM certificate ('BEGIN CERTIFICATE' block): {ex.Message.TrimEnd('.')}.");
        }
    }
}
