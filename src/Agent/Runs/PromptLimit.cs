using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Patchwire.Agent.Http;
using Patchwire.Core.Protocol;

namespace Patchwire.Agent.Runs;

/// <summary>PW_MAX_PROMPT_BYTES for /ask and /chat: 413 {"error":"prompt too large","limitBytes":N} beyond it.</summary>
public static class PromptLimit
{
    public static bool Fits(string prompt, long limitBytes) => Encoding.UTF8.GetByteCount(prompt) <= limitBytes;

    public static JsonHttpResult<ApiError> TooLarge(long limitBytes) =>
        ApiErrors.TooLarge(new ApiError(HttpErrors.PromptTooLarge) { LimitBytes = limitBytes });
}
