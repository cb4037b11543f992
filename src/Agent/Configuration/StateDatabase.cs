using Microsoft.Data.Sqlite;
using Patchwire.Core.IO;

namespace Patchwire.Agent.Configuration;

/// <summary>
/// The agent's embedded state store: one SQLite file under PW_HOME/agent-state holding detached runs and chat
/// sessions (each store its own tables and its own connection), owner-only, in WAL mode so a write is a few pages
/// whatever the size of the tables.
/// </summary>
public static class StateDatabase
{
    public const string FileName = "detached-runs.db";

    public static string FileOf(AgentOptions options) => Path.Combine(options.StateDirectory, FileName);

    /// <summary>Opens (creating if needed, 0600) the file and runs <paramref name="schema"/>; the caller owns the connection.</summary>
    public static SqliteConnection Open(string file, string schema)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        if (!File.Exists(file)) OwnerOnly.Create(file).Dispose();
        // Pooling off: each store keeps its one connection for the agent's life. A second store's write waits on a
        // busy database instead of failing (DefaultTimeout, seconds).
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false, DefaultTimeout = 30 }.ToString());
        try
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=NORMAL;\nPRAGMA busy_timeout=30000;\n" + schema;
            command.ExecuteNonQuery();
        }
        catch
        {
            connection.Dispose();
            throw;
        }
        foreach (var part in new[] { file, file + "-wal", file + "-shm" })
            if (File.Exists(part)) OwnerOnly.Apply(part);
        return connection;
    }
}
