using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Patchwire.Agent.Http;

/// <summary>
/// What a pre-flight check returns: the checked value, or the error answer that replaces the request's answer.
/// <c>if (!checkedTarget.TryGet(out var target, out var problem)) return problem;</c>
/// </summary>
public readonly struct Checked<T>
{
    private readonly T? _value;
    private readonly JsonHttpResult<ApiError>? _problem;

    private Checked(T? value, JsonHttpResult<ApiError>? problem)
    {
        _value = value;
        _problem = problem;
    }

    public static implicit operator Checked<T>(T value) => new(value, null);
    public static implicit operator Checked<T>(JsonHttpResult<ApiError> problem) => new(default, problem);

    public bool TryGet([MaybeNullWhen(false)] out T value, [NotNullWhen(false)] out JsonHttpResult<ApiError>? problem)
    {
        value = _value;
        problem = _problem;
        return problem is null;
    }
}
