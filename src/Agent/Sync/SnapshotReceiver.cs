using System.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Patchwire.Agent.Checkouts;
using Patchwire.Agent.Configuration;
using Patchwire.Agent.Http;
using Patchwire.Core.Protocol;
using Patchwire.Agent.Metrics;

namespace Patchwire.Agent.Sync;

/// <summary>
/// Receives one snapshot bundle for (caller, project). The header is parsed here (exactly one ref, the expected one;
/// prerequisites the checkout must already hold), then the pack streams straight from the request into
/// `git index-pack --strict` in the checkout's own repository, under a size limit, so nothing lands anywhere but
/// inside the caller's checkout. Then: connectivity check, what it would check out (PW_MAX_CHECKOUT_BYTES/FILES),
/// no symlinks leading out, checkout, baseline ref. A snapshot refused after its pack was indexed has that pack
/// removed again; a full disk (507) leaves the previous baseline checked out.
/// </summary>
public sealed class SnapshotReceiver(AgentOptions options, CheckoutLocks locks, SnapshotHistory history, AgentMetrics metrics, ILogger<SnapshotReceiver> logger)
{
    /// <summary>fsck findings git only warns about by default; in a snapshot they can only be an attack.</summary>
    private const string StrictChecks = "hasDot=error,hasDotdot=error,hasDotgit=error,fullPathname=error,emptyName=error,badFilemode=error,zeroPaddedFilemode=error";

    public static string ExpectedRef(string project) => Patchwire.Core.Protocol.GitRefs.Snapshot(project);

    public async Task<IResult> ReceiveAsync(HttpContext context, string user, string project, string checkout)
    {
        var cancellationToken = context.RequestAborted;
        if (context.Request.ContentLength is { } declared && declared > options.MaxBundleBytes)
            return TooLarge();
        var sizeFeature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false }) sizeFeature.MaxRequestBodySize = options.MaxBundleBytes;

        try
        {
            // Held for the whole request: two syncs of one project, or a sync and a run, never interleave.
            using var held = await locks.AcquireAsync(checkout, cancellationToken);
            var clock = Stopwatch.StartNew();
            var (header, headerError) = await BundleHeader.ReadAsync(context.Request.Body, cancellationToken);
            if (header is null) return Invalid(headerError!);
            var expected = ExpectedRef(project);
            if (header.Refs.Count != 1 || header.Refs[0].Name != expected)
                return Invalid($"it must hold exactly one ref, {expected}");
            var snapshot = header.Refs[0].ObjectId;

            if (Path.Exists(Path.Combine(checkout, ".git")) && !CheckoutBaseline.HasOwnRepository(checkout))
                return ApiErrors.Conflict(new ApiError(HttpErrors.CheckoutNotSyncable) { Message = "The checkout's .git is a file or a link; the agent only syncs into a checkout that owns its repository. Remove or re-clone it." });
            // A run whose restore failed may have left planted config behind: none of it may reach a checkout -f.
            if (CheckoutBaseline.HasOwnRepository(checkout)) GitDirGuard.Canonicalize(checkout);
            var (previous, missing) = await CheckoutBaseline.ProbeAsync(checkout, header.Prerequisites, cancellationToken);
            if (missing is not null)
                return ApiErrors.Conflict(new ApiError(HttpErrors.BundleBaseMissing) { Message = "The agent does not have the snapshot this bundle builds on; send a full bundle.", Missing = missing });

            var created = false;
            if (!CheckoutBaseline.HasOwnRepository(checkout) || !File.Exists(Path.Combine(checkout, ".git", "HEAD")))
            {
                // Not cancellable: a half-made .git would look like a repository to the next sync. (git init also repairs one.)
                created = !Directory.Exists(checkout);
                Directory.CreateDirectory(checkout);
                var init = await AgentGit.InitAsync(checkout, CancellationToken.None);
                if (!init.Ok)
                {
                    if (created) TryDeleteFolder(checkout);
                    throw new GitException("git init failed: " + init.FirstErrorLine);
                }
            }
            IResult? refused;
            long received = header.HeaderBytes;
            var packsBefore = Packs(checkout);
            CheckoutSize? size = null;
            try
            {
                (refused, received) = await IndexPackAsync(context.Request.Body, header, checkout, cancellationToken);
                if (refused is null) (refused, size) = await CheckOutAsync(user, project, checkout, snapshot, previous, created, cancellationToken);
            }
            catch (Exception ex) when (created || DiskFullException.Is(ex))
            {
                if (created) TryDeleteFolder(checkout);
                else RemoveNewPacks(checkout, packsBefore);
                if (DiskFullException.Is(ex))
                {
                    logger.LogWarning("sync {User}/{Project} refused: disk full ({Message})", user, project, ex.Message);
                    return DiskFull(previous);
                }
                throw;
            }
            if (refused is not null)
            {
                if (created) TryDeleteFolder(checkout);
                else RemoveNewPacks(checkout, packsBefore);
                return refused;
            }
            history.RecordBaseline(user, project, snapshot, size!);
            history.ScheduleMaintenance(user, project, checkout);
            metrics.SyncReceived(incremental: header.Prerequisites.Count > 0, received, clock.Elapsed);
            logger.LogInformation("sync {User}/{Project}: baseline {Baseline} ({Kind}, {Bytes} bytes, {Ms} ms)",
                user, project, snapshot, header.Prerequisites.Count == 0 ? "full" : "incremental", received, clock.ElapsedMilliseconds);
            return Results.Json(new SyncAnswer { Project = project, Baseline = snapshot });
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge();
        }
        catch (Exception ex) when (DiskFullException.Is(ex))
        {
            logger.LogWarning("sync {User}/{Project} failed: disk full ({Message})", user, project, ex.Message);
            return DiskFull(null);
        }
        catch (GitException ex)
        {
            logger.LogWarning("sync {User}/{Project} failed: {Message}", user, project, ex.Message);
            return ApiErrors.Internal(HttpErrors.InternalPrefix + ex.Message);
        }
    }

    /// <summary>Streams the pack into index-pack in the checkout's repository. Returns an error result, or null, and the bytes received.</summary>
    private async Task<(IResult? Refused, long Received)> IndexPackAsync(Stream body, BundleHeader header, string checkout, CancellationToken cancellationToken)
    {
        long received = header.HeaderBytes;
        var limit = options.MaxBundleBytes;
        var before = TemporaryPacks(checkout);
        var tooLarge = false;
        GitResult result;
        try
        {
            result = await AgentGit.RunWithInputAsync(checkout,
                [.. CheckoutBaseline.NoFsync, "index-pack", "--stdin", "--fix-thin", "--strict=" + StrictChecks, "--max-input-size=" + limit],
                async (stdin, token) =>
                {
                    var buffer = new byte[256 * 1024];
                    var chunk = header.PackStart;
                    while (true)
                    {
                        if (chunk.Length > 0)
                        {
                            received += chunk.Length;
                            if (received > limit) { tooLarge = true; return; }
                            try { await stdin.WriteAsync(chunk, token); }
                            catch (IOException) { return; } // index-pack stopped reading (a corrupt pack); its stderr says why
                        }
                        var read = await body.ReadAsync(buffer, token);
                        if (read == 0) return;
                        chunk = buffer.AsMemory(0, read);
                    }
                }, cancellationToken);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or BadHttpRequestException or GitException)
        {
            // The client went away, sent too much, or index-pack overran its deadline. A truncated pack makes
            // index-pack fail and remove its temporary file; a killed one leaves it.
            foreach (var leftover in TemporaryPacks(checkout).Except(before)) TryDeleteFile(leftover);
            if (ex is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge }) return (TooLarge(), received);
            throw;
        }
        if (result.Ok && !tooLarge) return (null, received);
        // index-pack leaves its temporary pack behind when it dies on a truncated or corrupt pack.
        foreach (var leftover in TemporaryPacks(checkout).Except(before)) TryDeleteFile(leftover);
        if (tooLarge) return (TooLarge(), received);
        if (DiskFullException.Matches(result.Stderr)) throw new DiskFullException("git index-pack failed: " + result.FirstErrorLine);
        return (Invalid(result.FirstErrorLine), received);
    }

    /// <summary>Checks what arrived is complete and safe, then checks it out and records the baseline. Null on success.</summary>
    private async Task<(IResult? Refused, CheckoutSize? Size)> CheckOutAsync(string user, string project, string checkout, string snapshot, string? previous, bool created, CancellationToken cancellationToken)
    {
        var type = await AgentGit.RunAsync(checkout, new[] { "cat-file", "-t", snapshot }, cancellationToken);
        if (!type.Ok || type.Stdout.Trim() != "commit") return (Invalid("its ref does not name a commit in the pack"), null);
        // Every object the snapshot needs must now be present (what `git fetch` calls the connectivity check).
        var connected = await AgentGit.RunAsync(checkout, new[] { "rev-list", "--objects", "--quiet", snapshot, "--not", "--all" }, cancellationToken);
        if (!connected.Ok) return (Invalid("it is incomplete: " + connected.FirstErrorLine), null);

        // Before anything walks the tree path by path (one small tree can be named thousands of times), and before a byte is written.
        var (size, over) = await SnapshotBounds.MeasureAsync(checkout, snapshot, previous, history.ReadSize(user, project, previous),
            options.MaxCheckoutBytes, options.MaxCheckoutFiles, cancellationToken);
        if (size is null) return (CheckoutTooLarge(over), null);

        if (AvailableBytes(checkout) is { } available && size.Written + size.Written / 50 + 1024 * 1024 > available)
            throw new DiskFullException($"No space left on device: the snapshot writes {SnapshotBounds.Describe(size.Written)}, {SnapshotBounds.Describe(available)} are free");

        var unsafeLink = await SnapshotSymlinks.FindEscapingAsync(checkout, previous, snapshot, cancellationToken);
        if (unsafeLink is not null)
            return (ApiErrors.BadRequest(new ApiError(HttpErrors.UnsafeSnapshotPrefix + $"symlink '{unsafeLink.Value.Path}' points outside the project ('{unsafeLink.Value.Target}')")
                { Message = "Remove the link or list it under sync.exclude in patchwire.yml." }), null);

        // From here on a client that goes away must not leave a half checked-out tree.
        var headBefore = previous is null && !created ? await HeadAsync(checkout) : null;
        try
        {
            // Run here rather than through CheckoutBaseline.ResetAsync: a full disk shows only in git's later error lines.
            var written = await AgentGit.RunAsync(checkout, [.. CheckoutBaseline.NoFsync, "-c", "checkout.workers=0", "checkout", "-q", "-f", "--detach", snapshot], CancellationToken.None);
            if (!written.Ok && DiskFullException.Matches(written.Stderr))
                throw new DiskFullException("git checkout failed: No space left on device (" + written.FirstErrorLine + ")");
            if (!written.Ok) throw new GitException("git checkout failed: " + written.FirstErrorLine);
            if (!created) await AgentGit.RunCheckedAsync(checkout, [.. CheckoutBaseline.NoFsync, "clean", "-q", "-f", "-d"], CancellationToken.None);
            var resolved = await SnapshotSymlinks.FindResolvedEscapingAsync(checkout, CancellationToken.None);
            if (resolved is not null)
            {
                // The caller deletes a folder it created; anything else goes back to what was checked out before.
                if (previous is not null) await CheckoutBaseline.ResetAsync(checkout, previous, CancellationToken.None);
                else if (!created) await RestoreHeadAsync(checkout, headBefore);
                return (ApiErrors.BadRequest(new ApiError(HttpErrors.UnsafeSnapshotPrefix + $"symlink '{resolved.Value.Path}' {resolved.Value.Why} ('{resolved.Value.Target}')")
                    { Message = "Remove the link or list it under sync.exclude in patchwire.yml." }), null);
            }
            if (previous is null)
            {
                // A fresh checkout leaves index entries git must re-read on the next command (its racy-timestamp rule);
                // refreshing now keeps that cost off the next sync, which should be the fast one.
                await AgentGit.RunAsync(checkout, [.. CheckoutBaseline.NoFsync, "update-index", "-q", "--refresh"], CancellationToken.None);
            }
            await AgentGit.RunCheckedAsync(checkout, [.. CheckoutBaseline.NoFsync, "update-ref", "-m", "patchwire sync", CheckoutBaseline.BaselineRef, snapshot], CancellationToken.None);
        }
        catch (Exception ex) when (DiskFullException.Is(ex) && previous is not null)
        {
            // Back to the previous baseline: its files replace the half-written new ones, so this needs no more room than before.
            try { await CheckoutBaseline.ResetAsync(checkout, previous, removeUntracked: true, CancellationToken.None); }
            catch (GitException again) { logger.LogError("Could not put {Checkout} back at its baseline after a full disk: {Message}", checkout, again.Message); }
            throw;
        }
        return (null, size);
    }

    /// <summary>What HEAD was in a checkout with no baseline (a clone): a branch's ref name, a commit, or null.</summary>
    private static async Task<string?> HeadAsync(string checkout)
    {
        var branch = await AgentGit.RunAsync(checkout, new[] { "symbolic-ref", "-q", "HEAD" }, CancellationToken.None);
        if (branch.Ok) return branch.Stdout.Trim();
        var commit = await AgentGit.RunAsync(checkout, new[] { "rev-parse", "-q", "--verify", "HEAD" }, CancellationToken.None);
        return commit.Ok ? commit.Stdout.Trim() : null;
    }

    private static async Task RestoreHeadAsync(string checkout, string? head)
    {
        if (head is null) return;
        if (head.StartsWith("refs/", StringComparison.Ordinal))
            await AgentGit.RunCheckedAsync(checkout, new[] { "symbolic-ref", "HEAD", head }, CancellationToken.None);
        else
            await AgentGit.RunCheckedAsync(checkout, new[] { "update-ref", "--no-deref", "HEAD", head }, CancellationToken.None);
        await AgentGit.RunCheckedAsync(checkout, new[] { "reset", "-q", "--hard" }, CancellationToken.None);
        await AgentGit.RunCheckedAsync(checkout, new[] { "clean", "-q", "-f", "-d" }, CancellationToken.None);
    }

    private IResult CheckoutTooLarge(CheckoutSize over)
    {
        var (what, setting, limit) = over.Files > options.MaxCheckoutFiles
            ? ($"at least {over.Files.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} files", "PW_MAX_CHECKOUT_FILES", options.MaxCheckoutFiles.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + " files")
            : ($"at least {SnapshotBounds.Describe(over.Bytes)}", "PW_MAX_CHECKOUT_BYTES", SnapshotBounds.Describe(options.MaxCheckoutBytes));
        return ApiErrors.TooLarge(new ApiError(HttpErrors.SnapshotTooLargePrefix + $"it would check out {what}, beyond {setting} ({limit})")
        {
            Message = "Nothing was checked out; the previous baseline is unchanged. Exclude large or generated files with sync.exclude in patchwire.yml, or ask the admin to raise " + setting + ".",
            Bytes = over.Bytes, Files = over.Files, Setting = setting, MaxCheckoutBytes = options.MaxCheckoutBytes, MaxCheckoutFiles = options.MaxCheckoutFiles,
        });
    }

    private static IResult DiskFull(string? previous) =>
        ApiErrors.InsufficientStorage(new ApiError(HttpErrors.DiskFull)
        {
            Message = previous is null ? "Nothing was kept. Free space on the box (or ask the admin to), then sync again." : "The previous baseline is still checked out. Free space on the box (or ask the admin to), then sync again.",
            Baseline = previous,
        });

    private IResult TooLarge() =>
        ApiErrors.TooLarge(new ApiError(HttpErrors.BundleTooLarge) { MaxBytes = options.MaxBundleBytes });

    private static IResult Invalid(string reason) => ApiErrors.BadRequest(HttpErrors.InvalidBundlePrefix + reason);

    /// <summary>Free bytes on the checkout's file system for this process, or null when the platform cannot tell.</summary>
    private static long? AvailableBytes(string checkout)
    {
        try { return new DriveInfo(checkout).AvailableFreeSpace; }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException) { return null; }
    }

    private static HashSet<string> Packs(string checkout)
    {
        var packs = Path.Combine(checkout, ".git", "objects", "pack");
        return Directory.Exists(packs) ? Directory.EnumerateFiles(packs, "pack-*").ToHashSet(StringComparer.Ordinal) : new HashSet<string>(StringComparer.Ordinal);
    }

    /// <summary>Removes the pack files a refused sync added (never one that was there before: the same pack sent twice keeps its name).</summary>
    private static void RemoveNewPacks(string checkout, HashSet<string> before)
    {
        foreach (var file in Packs(checkout).Except(before).OrderBy(f => f.EndsWith(".pack", StringComparison.Ordinal) ? 1 : 0)) TryDeleteFile(file);
        foreach (var leftover in TemporaryPacks(checkout)) TryDeleteFile(leftover);
    }

    private static HashSet<string> TemporaryPacks(string checkout)
    {
        var packs = Path.Combine(checkout, ".git", "objects", "pack");
        return Directory.Exists(packs) ? Directory.EnumerateFiles(packs, "tmp_*").ToHashSet(StringComparer.Ordinal) : new HashSet<string>(StringComparer.Ordinal);
    }

    private static void TryDeleteFile(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static void TryDeleteFolder(string path)
    {
        try { Directory.Delete(path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
