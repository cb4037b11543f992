using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;

namespace Patchwire.PowerShell.Sync;

/// <summary>
/// The request body of POST /sync: `git bundle create -` streamed straight into the request (chunked), so the
/// bundle is never written to disk on the laptop and packing overlaps the upload.
/// </summary>
public sealed class BundleUpload : HttpContent
{
    private readonly GitCli _git;
    private readonly IReadOnlyList<string> _revisions;
    private readonly CancellationToken _cancellationToken;
    private readonly long? _limit;

    /// <param name="revisions">The snapshot ref, then "^base" for an incremental bundle.</param>
    /// <param name="limit">The agent's PW_MAX_BUNDLE_BYTES when it told us: the upload stops as soon as it is exceeded.</param>
    public BundleUpload(GitCli git, IReadOnlyList<string> revisions, long? limit, CancellationToken cancellationToken)
    {
        _git = git;
        _revisions = revisions;
        _limit = limit;
        _cancellationToken = cancellationToken;
        Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
    }

    public long BytesSent { get; private set; }

    /// <summary>Set when git itself failed to write the bundle (as opposed to the network failing).</summary>
    public Exception? GitFailure { get; private set; }

    /// <summary>True when the bundle grew past the agent's limit (the upload was stopped, or the agent closed on us).</summary>
    public bool ExceededLimit => _limit is { } limit && BytesSent > limit;

    /// <summary>zlib level of the pack: 1 (fast) over a network; 0 on loopback, where compressing costs more than it saves.</summary>
    public int Compression { get; set; } = 1;

    public static int CompressionFor(string agentUrl)
    {
        if (!Uri.TryCreate(agentUrl, UriKind.Absolute, out var uri)) return 1;
        return uri.IsLoopback ? 0 : 1;
    }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        // pack.window=0: no delta search. A delta search over a large tree costs seconds and saves little on
        // source trees; an incremental bundle is small anyway.
        var args = new List<string> { "-c", "pack.window=0", "-c", "pack.compression=" + Compression, "bundle", "create", "--quiet", "-" };
        args.AddRange(_revisions);
        using var process = _git.Start(args);
        using var registration = _cancellationToken.Register(() => GitCli.TryKill(process));
        var stderrTask = GitCli.ReadAllAsync(process.StandardError.BaseStream);
        var buffer = new byte[128 * 1024];
        var source = process.StandardOutput.BaseStream;
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer, 0, buffer.Length, _cancellationToken).ConfigureAwait(false)) > 0)
            {
                BytesSent += read;
                if (ExceededLimit) throw new IOException("The snapshot is larger than the agent accepts.");
                await stream.WriteAsync(buffer, 0, read, _cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            GitCli.TryKill(process);
            throw;
        }
        var stderr = System.Text.Encoding.UTF8.GetString(await stderrTask.ConfigureAwait(false));
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            GitFailure = new GitCommandException("git bundle create failed: " + GitCli.FirstLines(stderr), stderr);
            throw GitFailure;
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}
