using System.Text.Json;
using Patchwire.Agent.Checkouts;
using Patchwire.Agent.Configuration;
using Patchwire.Core.IO;

namespace Patchwire.Agent.Runs;

/// <summary>
/// Durable record of the runs in flight, one file per run under <c>$PW_HOME/agent-state/runs</c>, written
/// atomically before the checkout is touched and removed once it is restored. A file left behind means the agent
/// died mid-run; <see cref="RunRecovery"/> restores its checkout on the next start.
/// </summary>
public sealed class RunJournal(AgentOptions options)
{
    public string Directory => StateLocations.Runs(options);

    /// <param name="runFolder">The run works in a run folder of its own (<see cref="RunWorktrees"/>): recovery removes it rather than restoring it.</param>
    public RunJournalEntry Begin(CheckoutState state, bool runFolder = false)
    {
        var entry = new RunJournalEntry
        {
            Id = $"{DateTime.UtcNow:yyyyMMddHHmmssfff}-{Guid.NewGuid():N}",
            Checkout = Path.GetFullPath(state.Path),
            BaseCommit = state.BaseCommit,
            HeadRef = state.HeadRef,
            RunFolder = runFolder,
            StartedAt = DateTimeOffset.UtcNow,
        };
        Write(entry);
        return entry;
    }

    public void RecordProcess(RunJournalEntry entry, int processId)
    {
        entry.AiProcessId = processId;
        Write(entry);
    }

    /// <summary>Where the run's private index lives (beside its journal file, removed with it).</summary>
    public string IndexPath(RunJournalEntry entry) => Path.Combine(Directory, entry.Id + ".index");

    /// <summary>A copy of the real index as it was before the run, to tell whether the AI touched it.</summary>
    public string PristineIndexPath(RunJournalEntry entry) => Path.Combine(Directory, entry.Id + ".index.orig");

    /// <summary>The checkout's .git as the agent set it up before the run (<see cref="GitDirState"/>), for recovery.</summary>
    public string GitDirStatePath(RunJournalEntry entry) => Path.Combine(Directory, entry.Id + ".gitdir");

    public void Complete(RunJournalEntry entry)
    {
        TryDelete(IndexPath(entry));
        TryDelete(GitDirStatePath(entry));
        TryDelete(PristineIndexPath(entry));
        TryDelete(EntryPath(entry.Id));
    }

    /// <summary>The entries left on disk, with the files that could not be read.</summary>
    public (List<RunJournalEntry> Entries, List<string> Unreadable) ReadAll()
    {
        var entries = new List<RunJournalEntry>();
        var unreadable = new List<string>();
        if (!System.IO.Directory.Exists(Directory)) return (entries, unreadable);
        foreach (var file in System.IO.Directory.GetFiles(Directory, "*.json").Order(StringComparer.Ordinal))
        {
            try
            {
                var entry = JsonSerializer.Deserialize<RunJournalEntry>(File.ReadAllText(file));
                if (entry is null || entry.Id.Length == 0 || entry.Checkout.Length == 0 || entry.BaseCommit.Length == 0) unreadable.Add(file);
                else entries.Add(entry);
            }
            catch (Exception ex) when (ex is JsonException or IOException) { unreadable.Add(file); }
        }
        return (entries, unreadable);
    }

    /// <summary>Index and .git state files whose journal entry is gone (a crash between the deletes).</summary>
    public IEnumerable<string> OrphanIndexFiles() =>
        System.IO.Directory.Exists(Directory)
            ? System.IO.Directory.GetFiles(Directory, "*.index*").Concat(System.IO.Directory.GetFiles(Directory, "*.gitdir"))
                .Where(i => !File.Exists(Path.Combine(Directory, Path.GetFileName(i).Split('.')[0] + ".json")))
            : Enumerable.Empty<string>();

    private string EntryPath(string id) => Path.Combine(Directory, id + ".json");

    private void Write(RunJournalEntry entry) =>
        AtomicFile.WriteAllText(EntryPath(entry.Id), JsonSerializer.Serialize(entry));

    internal static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
