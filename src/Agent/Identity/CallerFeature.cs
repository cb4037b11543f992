using Patchwire.Core.Identity;

namespace Patchwire.Agent.Identity;

/// <summary>The authenticated caller, set by <see cref="BearerAuthMiddleware"/>.</summary>
public sealed record Caller(UserRecord User)
{
    public string Name => User.Name;
}

public static class CallerExtensions
{
    private const string Key = "patchwire.caller";

    public static void SetCaller(this HttpContext context, Caller caller) => context.Items[Key] = caller;

    public static Caller GetCaller(this HttpContext context) =>
        context.Items.TryGetValue(Key, out var value) && value is Caller caller
            ? caller
            : throw new InvalidOperationException("No authenticated caller on this request.");
}
