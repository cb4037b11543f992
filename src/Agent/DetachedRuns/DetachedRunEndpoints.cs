using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using System.Text.RegularExpressions;
using Patchwire.Agent.Configuration;
using Patchwire.Agent.Http;
using Patchwire.Agent.Identity;
using Patchwire.Agent.Runs;
using Patchwire.Agent.Usage;
using Patchwire.Core.Protocol;

namespace Patchwire.Agent.DetachedRuns;

/// <summary>POST /runs, GET /runs, GET /runs/{id}, GET /runs/{id}/events?after=N, DELETE /runs/{id} (SPEC §17).</summary>
public static partial class DetachedRunEndpoints
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex RunId();

    /// <summary>The /ask body and pre-flight; 202 {"id"} at once, the run itself goes on in the background.</summary>
    public static async Task<IResult> StartAsync(
        HttpContext context, ClaimsPrincipal caller, AgentOptions options, CheckoutPreflight preflight, UsageMeter usage, DetachedRunService runs)
    {
        var user = caller.CallerName();
        if (!(await Runs.AskRequest.ReadAsync(context, options.MaxPromptBytes)).TryGet(out var request, out var problem)) return problem;
        if (!(await preflight.CheckAsync(user, request.Project, request.Baseline)).TryGet(out var target, out problem)) return problem;
        var run = runs.Start(caller, new AskRun(user, request, target, usage));
        if (run is null)
            return ApiErrors.TooManyRequests(new ApiError("too many detached runs")
            {
                Message = $"you have {runs.MaxInProgressPerUser} detached run(s) queued or running (PW_MAX_QUEUED_PER_USER)",
                Hint = "Wait for one to finish (Wait-PatchwireRun, patchwire wait) or cancel one (Stop-PatchwireRun), then start again.",
            });
        return TypedResults.Json(new RunCreated { Id = run.Id }, statusCode: StatusCodes.Status202Accepted);
    }

    public static IResult List(HttpContext context, RunStore store) =>
        Results.Json(store.List(context.User.CallerName()).Select(r => r.ToInfo(withResult: false)).ToList());

    public static async Task GetAsync(HttpContext context, string id, RunStore store)
    {
        if (Find(context, id, store, out var run) is { } problem) await problem.ExecuteAsync(context);
        else await WriteRunAsync(context, run!, store);
    }

    public static async Task CancelAsync(HttpContext context, string id, RunStore store, DetachedRunService runs)
    {
        if (Find(context, id, store, out var run) is { } problem)
        {
            await problem.ExecuteAsync(context);
            return;
        }
        if (RunStates.IsFinal(run!.State))
        {
            await ApiErrors.Conflict(new ApiError(HttpErrors.RunAlreadyFinished) { Status = run.State }).ExecuteAsync(context);
            return;
        }
        await runs.CancelAsync(run.User, id);
        if (store.Find(run.User, id) is { } now) await WriteRunAsync(context, now, store);
        else await Results.Json<RunInfo?>(null).ExecuteAsync(context);
    }

    /// <summary>
    /// The run with its final event as "result". A final event kept only as its event row (a result with its diff) is
    /// copied from the store into the response as it is stored, after its event number: never parsed, never a string.
    /// </summary>
    private static async Task WriteRunAsync(HttpContext context, RunRecord run, RunStore store)
    {
        if (run.FinalSeq is not { } seq)
        {
            await Results.Json(run.ToInfo(withResult: true)).ExecuteAsync(context);
            return;
        }
        await using var final = store.OpenEvent(run.Id, seq);
        if (final is null)
        {
            await Results.Json(run.ToInfo(withResult: false)).ExecuteAsync(context);
            return;
        }
        var options = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var head = JsonSerializer.SerializeToUtf8Bytes(run.ToInfo(withResult: false), options);
        final.Position = ("{\"seq\":" + seq.ToString(CultureInfo.InvariantCulture) + ",").Length; // the Numbered prefix, ASCII
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = context.Response.Body;
        var aborted = context.RequestAborted;
        await body.WriteAsync(head.AsMemory(0, head.Length - 1), aborted); // without its closing brace
        await body.WriteAsync(",\"result\":{"u8.ToArray(), aborted);
        await final.CopyToAsync(body, aborted);
        await body.WriteAsync("}"u8.ToArray(), aborted);
    }

    /// <summary>The run's events from number after+1 on, following live ones until the final event.</summary>
    public static async Task EventsAsync(HttpContext context, string id, RunStore store, DetachedRunService runs)
    {
        if (Find(context, id, store, out var run) is { } problem)
        {
            await problem.ExecuteAsync(context);
            return;
        }
        var afterText = context.Request.Query["after"].ToString();
        var after = 0;
        if (afterText.Length > 0 && (!int.TryParse(afterText, NumberStyles.None, CultureInfo.InvariantCulture, out after)))
        {
            await ApiErrors.BadRequest(HttpErrors.InvalidAfter).ExecuteAsync(context);
            return;
        }
        if (after > run!.EventCount)
        {
            await ApiErrors.BadRequest(new ApiError(HttpErrors.AfterPastLastEvent) { Message = $"the run has {run.EventCount} event(s) so far", Status = run.State }).ExecuteAsync(context);
            return;
        }

        await NdjsonResponse.StartAsync(context);
        var aborted = context.RequestAborted;
        try
        {
            while (!aborted.IsCancellationRequested)
            {
                var live = runs.Live(run.User, id);
                var change = live?.NextChange() ?? Task.CompletedTask; // taken before reading: no event can slip between
                foreach (var seq in store.EventNumbers(id, after))
                {
                    await using (var line = store.OpenEvent(id, seq))
                        if (line is not null) await line.CopyToAsync(context.Response.Body, aborted);
                    await context.Response.Body.WriteAsync("\n"u8.ToArray(), aborted);
                    after = seq;
                }
                await context.Response.Body.FlushAsync(aborted);
                var now = store.Find(run.User, id);
                if (now is null || RunStates.IsFinal(now.State) && after >= now.EventCount || live is null) return;
                while (await Task.WhenAny(change, Task.Delay(KeepAlive, aborted)) != change)
                {
                    await context.Response.Body.WriteAsync("\n"u8.ToArray(), aborted);
                    await context.Response.Body.FlushAsync(aborted);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
        }
    }

    private static IResult? Find(HttpContext context, string id, RunStore store, out RunRecord? run)
    {
        run = null;
        if (!RunId().IsMatch(id)) return ApiErrors.BadRequest(HttpErrors.InvalidRunId);
        run = store.Find(context.User.CallerName(), id);
        return run is null ? ApiErrors.NotFound(HttpErrors.RunNotFound) : null;
    }
}
