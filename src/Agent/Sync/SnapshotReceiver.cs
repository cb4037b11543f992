using Microsoft.AspNetCore.Http.Features;
using Patchwire.Agent.Checkouts;
using Patchwire.Agent.Configuration;
using Patchwire.Agent.Http;

namespace Patchwire.Agent.Sync;

/// <summary>
/// Receives one snapshot bundle for (caller, project): stores the upload inside the caller's folder with a size
/// limit, checks its header, prerequisites and objects, fetches it into the checkout's private ref, refuses
/// symlinks that lead out of the checkout, checks it out and records it as the baseline.
/// </summary>
public sealed class SnapshotReceiver(AgentOptions options, ProjectPaths paths, CheckoutLocks locks, ILogger<SnapshotReceiver> logger)
{
    /// <summary>Uploads wait here, beside the caller's checkouts. '~' is not allowed in project names, so it is never a checkout.</summary>
    public const string IncomingFolder = ".incoming~";

    public static string ExpectedRef(string project) => "refs/patchwire/snapshots/" + project;

    public async Task<IResult> ReceiveAsync(HttpContext context, string user, string project, string checkout)
    {
        var cancellationToken = context.RequestAborted;
        if (context.Request.ContentLength is { } declared && declared > options.MaxBundleBytes)
            return TooLarge();
        var sizeFeature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false }) sizeFeature.MaxRequestBodySize = options.MaxBundleBytes;

        var userDir = paths.UserDirectory(user);
        var incomingDir = Path.Combine(userDir, IncomingFolder);
        Directory.CreateDirectory(incomingDir);
        if (!IsInside(ProjectPaths.RealPath(incomingDir), ProjectPaths.RealPath(userDir)))
            return JsonErrors.Result(500, "internal: the upload folder leads outside the user's folder");
        var bundlePath = Path.Combine(incomingDir, Guid.NewGuid().ToString("N") + ".bundle");
        try
        {
            long received;
            try
            {
                received = await StoreUploadAsync(context.Request.Body, bundlePath, cancellationToken);
            }
            catch (BundleTooLargeException) { return TooLarge(); }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge) { return TooLarge(); }

            var header = BundleHeader.Read(bundlePath, out var headerError);
            if (header is null) return Invalid(headerError!);
            var expected = ExpectedRef(project);
            if (header.Refs.Count != 1 || header.Refs[0].Name != expected)
                return Invalid($"it must hold exactly one ref, {expected}");
            var snapshot = header.Refs[0].ObjectId;

            using var held = await locks.AcquireAsync(checkout, cancellationToken);
            IResult? outcome;
            try
            {
                outcome = await ApplyAsync(checkout, bundlePath, header, expected, snapshot, cancellationToken);
            }
            catch (GitFailedException ex)
            {
                logger.LogWarning("sync {User}/{Project} failed: {Message}", user, project, ex.Message);
                return JsonErrors.Result(500, "internal: " + ex.Message);
            }
            if (outcome is not null) return outcome;
            logger.LogInformation("sync {User}/{Project}: baseline {Baseline} ({Kind}, {Bytes} bytes)",
                user, project, snapshot, header.Prerequisites.Count == 0 ? "full" : "incremental", received);
            return Results.Json(new SyncAnswer(project, snapshot));
        }
        finally
        {
            TryDelete(bundlePath);
        }
    }

    /// <summary>Everything under the checkout's lock. Null on success, else the error to answer.</summary>
    private async Task<IResult?> ApplyAsync(string checkout, string bundlePath, BundleHeader header, string expectedRef, string snapshot, CancellationToken cancellationToken)
    {
        if (Path.Exists(Path.Combine(checkout, ".git")) && !CheckoutBaseline.HasOwnRepository(checkout))
            return JsonErrors.Result(409, "checkout is not syncable", new { message = "The checkout's .git is a file or a link; the agent only syncs into a checkout that owns its repository. Remove or re-clone it." });
        var previous = await CheckoutBaseline.CurrentAsync(checkout, cancellationToken);

        foreach (var prerequisite in header.Prerequisites)
            if (!await CheckoutBaseline.HasCommitAsync(checkout, prerequisite, cancellationToken))
                return JsonErrors.Result(409, "bundle base missing", new { message = "The agent does not have the snapshot this bundle builds on; send a full bundle.", missing = prerequisite });

        var created = false;
        if (!CheckoutBaseline.HasOwnRepository(checkout))
        {
            created = !Directory.Exists(checkout);
            Directory.CreateDirectory(checkout);
            await AgentGit.RunCheckedAsync(checkout, new[] { "init", "-q" }, cancellationToken);
        }
        try
        {
            var refused = await FetchAndCheckOutAsync(checkout, bundlePath, expectedRef, snapshot, previous, cancellationToken);
            if (refused is not null && created) TryDeleteFolder(checkout);
            return refused;
        }
        catch when (created)
        {
            TryDeleteFolder(checkout);
            throw;
        }
    }

    private static async Task<IResult?> FetchAndCheckOutAsync(string checkout, string bundlePath, string expectedRef, string snapshot, string? previous, CancellationToken cancellationToken)
    {

        var verify = await AgentGit.RunAsync(checkout, new[] { "bundle", "verify", "-q", bundlePath }, cancellationToken);
        if (!verify.Success) return Invalid(verify.FirstErrorLine);

        // fsck every object that arrives; the refspec names the only ref we accept and the only ref we write.
        var fetch = await AgentGit.RunAsync(checkout, new[]
        {
            "-c", "transfer.fsckObjects=true", "-c", "fetch.fsckObjects=true",
            "fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--no-recurse-submodules",
            bundlePath, "+" + expectedRef + ":" + CheckoutBaseline.IncomingRef,
        }, cancellationToken);
        if (!fetch.Success) return Invalid(fetch.FirstErrorLine);

        var fetched = (await AgentGit.RunAsync(checkout, new[] { "rev-parse", "--verify", "--quiet", CheckoutBaseline.IncomingRef + "^{commit}" }, cancellationToken)).Stdout.Trim();
        if (fetched != snapshot) return Invalid("its ref does not name a commit");

        var unsafeLink = await SnapshotSymlinks.FindEscapingAsync(checkout, previous, snapshot, cancellationToken);
        if (unsafeLink is not null)
        {
            await AgentGit.RunAsync(checkout, new[] { "update-ref", "-d", CheckoutBaseline.IncomingRef }, CancellationToken.None);
            return JsonErrors.Result(400, $"unsafe snapshot: symlink '{unsafeLink.Value.Path}' points outside the project ('{unsafeLink.Value.Target}')",
                new { message = "Remove the link or list it under sync.exclude in patchwire.yml." });
        }

        // Past this point the client's cancellation must not leave a half checked-out tree.
        await CheckoutBaseline.ResetAsync(checkout, snapshot, CancellationToken.None);
        await AgentGit.RunCheckedAsync(checkout, new[] { "update-ref", CheckoutBaseline.BaselineRef, snapshot }, CancellationToken.None);
        await AgentGit.RunAsync(checkout, new[] { "update-ref", "-d", CheckoutBaseline.IncomingRef }, CancellationToken.None);
        return null;
    }

    private async Task<long> StoreUploadAsync(Stream body, string path, CancellationToken cancellationToken)
    {
        long total = 0;
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1, FileOptions.Asynchronous);
        var buffer = new byte[256 * 1024];
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > options.MaxBundleBytes) throw new BundleTooLargeException();
            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
        return total;
    }

    private IResult TooLarge() =>
        JsonErrors.Result(413, "bundle too large", new { maxBytes = options.MaxBundleBytes });

    private static IResult Invalid(string reason) => JsonErrors.Result(400, "invalid bundle: " + reason);

    private static bool IsInside(string path, string folder)
    {
        var prefix = folder.EndsWith(Path.DirectorySeparatorChar) ? folder : folder + Path.DirectorySeparatorChar;
        return path.StartsWith(prefix, StringComparison.Ordinal);
    }

    private static void TryDeleteFolder(string path)
    {
        try { Directory.Delete(path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private sealed class BundleTooLargeException : Exception;

    public sealed record SyncAnswer(string Project, string Baseline);
}
