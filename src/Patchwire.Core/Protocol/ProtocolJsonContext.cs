using System.Collections.Generic;
using System.Text.Json.Serialization;

namespace Patchwire.Core.Protocol;

/// <summary>
/// System.Text.Json's source-generated metadata for every type that crosses the wire, so the agent and the module
/// serialise and parse them the same way without reflection. <see cref="ProtocolJson.Options"/> resolves through it
/// first; the bytes written are the same as before it (the protocol tests compare the two).
/// </summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(QueuedEvent))]
[JsonSerializable(typeof(AcceptedEvent))]
[JsonSerializable(typeof(ResultEvent))]
[JsonSerializable(typeof(ErrorEvent))]
[JsonSerializable(typeof(ChatTurnStartEvent))]
[JsonSerializable(typeof(ChatTextEvent))]
[JsonSerializable(typeof(ChatDiffEvent))]
[JsonSerializable(typeof(ChatDoneEvent))]
[JsonSerializable(typeof(FileChangeInfo))]
[JsonSerializable(typeof(QueueSnapshot))]
[JsonSerializable(typeof(AskRequest))]
[JsonSerializable(typeof(ChatRequestBody))]
[JsonSerializable(typeof(SyncState))]
[JsonSerializable(typeof(SyncAnswer))]
[JsonSerializable(typeof(ErrorBody))]
[JsonSerializable(typeof(RunCreated))]
[JsonSerializable(typeof(RunInfo))]
[JsonSerializable(typeof(List<RunInfo>))]
public sealed partial class ProtocolJsonContext : JsonSerializerContext
{
}
