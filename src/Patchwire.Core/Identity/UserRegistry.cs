using System.Text.Json;
using System.Text.Json.Serialization;
using Patchwire.Core.IO;

namespace Patchwire.Core.Identity;

/// <summary>
/// The users.json file. Every change is read-modify-write under a cross-process lock with an atomic
/// replace, so the agent and the admin cmdlets can write at once without losing an update or tearing the file.
/// </summary>
public sealed class UserRegistry
{
    public static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public UserRegistry(string path) => Path = System.IO.Path.GetFullPath(path);

    public string Path { get; }
    public string LockPath => Path + ".lock";
    public bool Exists => File.Exists(Path);

    /// <summary>Reads the registry without locking (it is only ever replaced atomically). Missing file: no users.</summary>
    public IReadOnlyList<UserRecord> Load()
    {
        string text;
        try { text = File.ReadAllText(Path); }
        catch (FileNotFoundException) { return Array.Empty<UserRecord>(); }
        catch (DirectoryNotFoundException) { return Array.Empty<UserRecord>(); }
        return Parse(text, Path);
    }

    public UserRecord? Find(string name) =>
        Load().FirstOrDefault(u => string.Equals(u.Name, name, StringComparison.Ordinal));

    public (UserRecord User, string Token) Add(string name, string? token = null, DateTimeOffset? now = null)
    {
        RequireValidName(name);
        token = PrepareToken(token);
        var hash = Tokens.Hash(token);
        var user = Update(users =>
        {
            if (users.Any(u => string.Equals(u.Name, name, StringComparison.OrdinalIgnoreCase)))
                throw new RegistryException(RegistryErrorKind.AlreadyExists, $"User '{name}' already exists. Use Reset-PatchwireUserToken to give them a new token.");
            if (users.Any(u => u.TokenSha256 == hash))
                throw new RegistryException(RegistryErrorKind.InvalidToken, "That token is already in use by another user; supply a different one.");
            var record = new UserRecord { Name = name, TokenSha256 = hash, CreatedAt = (now ?? DateTimeOffset.UtcNow).ToUniversalTime(), Disabled = false };
            users.Add(record);
            return record.Clone();
        });
        return (user, token);
    }

    public UserRecord SetDisabled(string name, bool disabled) =>
        Update(users =>
        {
            var user = Require(users, name);
            user.Disabled = disabled;
            return user.Clone();
        });

    public (UserRecord User, string Token) Rotate(string name, string? token = null)
    {
        RequireValidName(name);
        token = PrepareToken(token);
        var hash = Tokens.Hash(token);
        var user = Update(users =>
        {
            var user = Require(users, name);
            if (users.Any(u => u.TokenSha256 == hash && !ReferenceEquals(u, user)))
                throw new RegistryException(RegistryErrorKind.InvalidToken, "That token is already in use by another user; supply a different one.");
            user.TokenSha256 = hash;
            return user.Clone();
        });
        return (user, token);
    }

    public UserRecord Remove(string name) =>
        Update(users =>
        {
            var user = Require(users, name);
            users.Remove(user);
            return user;
        });

    /// <summary>Merges last-seen times (keeping the later one) without touching any other field.</summary>
    public void RecordLastSeen(IReadOnlyDictionary<string, DateTimeOffset> seen)
    {
        if (seen.Count == 0) return;
        Update(users =>
        {
            var changed = false;
            foreach (var user in users)
            {
                if (seen.TryGetValue(user.Name, out var at) && (user.LastSeen is null || user.LastSeen < at))
                {
                    user.LastSeen = at.ToUniversalTime();
                    changed = true;
                }
            }
            return changed;
        });
    }

    /// <summary>Creates the registry holding one user, only if it does not exist yet (used by the migration).</summary>
    public bool CreateIfMissing(UserRecord first)
    {
        return Update(users =>
        {
            if (users.Count > 0 || Exists) return false;
            users.Add(first.Clone());
            return true;
        }, writeWhenMissing: true);
    }

    /// <summary>Sets (or, with null, removes) a user's policy after checking it.</summary>
    public UserRecord SetPolicy(string name, Func<UserPolicy, UserPolicy?> change) =>
        Update(users =>
        {
            var user = Require(users, name);
            var policy = change(user.Policy?.Clone() ?? new UserPolicy());
            if (policy?.Check() is { } problem) throw new RegistryException(RegistryErrorKind.InvalidPolicy, problem);
            user.Policy = policy is null || policy.IsEmpty ? null : policy;
            return user.Clone();
        });

    public sealed class UpstreamImport
    {
        public UpstreamImport(int imported, string copyPath, IReadOnlyList<string> notes) { Imported = imported; CopyPath = copyPath; Notes = notes; }
        public int Imported { get; }
        public string CopyPath { get; }
        public IReadOnlyList<string> Notes { get; }
    }

    /// <summary>
    /// When users.json is upstream Patchwire's format, keeps a copy beside it (users.json.upstream, owner-only) and converts
    /// it in place, under the lock and atomically. Returns null when there was nothing to import (no file, already ours, or
    /// a file in neither format, which <see cref="Load"/> then refuses without touching it). A second process that waited
    /// on the lock finds the converted file and returns null.
    /// </summary>
    public UpstreamImport? ImportUpstreamIfPresent(DateTimeOffset? now = null)
    {
        if (!Exists || !UpstreamRegistry.Recognise(ReadTextOrEmpty())) return null;
        FileLock fileLock;
        try { fileLock = FileLock.Acquire(LockPath, LockTimeout); }
        catch (TimeoutException ex) { throw new RegistryException(RegistryErrorKind.LockTimeout, ex.Message, ex); }
        using (fileLock)
        {
            var text = ReadTextOrEmpty();
            if (!UpstreamRegistry.Recognise(text)) return null;
            var conversion = UpstreamRegistry.Convert(text, (now ?? DateTimeOffset.UtcNow).ToUniversalTime());
            var copy = Path + ".upstream";
            AtomicFile.WriteAllText(copy, text, ownerOnly: true);
            AtomicFile.WriteAllText(Path, Serialize(conversion.Users), ownerOnly: true);
            return new UpstreamImport(conversion.Users.Count, copy, conversion.Notes);
        }
    }

    private string ReadTextOrEmpty()
    {
        try { return File.ReadAllText(Path); }
        catch (FileNotFoundException) { return ""; }
        catch (DirectoryNotFoundException) { return ""; }
    }

    /// <summary>Runs <paramref name="mutate"/> on a fresh read under the lock and writes the result atomically.</summary>
    public T Update<T>(Func<List<UserRecord>, T> mutate, bool writeWhenMissing = true)
    {
        FileLock fileLock;
        try { fileLock = FileLock.Acquire(LockPath, LockTimeout); }
        catch (TimeoutException ex) { throw new RegistryException(RegistryErrorKind.LockTimeout, ex.Message, ex); }
        using (fileLock)
        {
            var users = Load().Select(u => u.Clone()).ToList();
            var before = Serialize(users);
            var result = mutate(users);
            var after = Serialize(users);
            if (after != before || (writeWhenMissing && !Exists && users.Count > 0))
                AtomicFile.WriteAllText(Path, after, ownerOnly: true);
            return result;
        }
    }

    public static IReadOnlyList<UserRecord> Parse(string text, string path)
    {
        RegistryDocument? doc;
        try { doc = JsonSerializer.Deserialize<RegistryDocument>(text, JsonOptions); }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is long line ? $" (line {line + 1})" : "";
            throw new RegistryException(RegistryErrorKind.CorruptFile,
                $"The user registry '{path}' is not valid JSON{where}. Restore it from a backup or fix it by hand; Patchwire will not overwrite it.", ex);
        }
        if (doc?.Users is null && UpstreamRegistry.Recognise(text))
            throw new RegistryException(RegistryErrorKind.CorruptFile,
                $"The user registry '{path}' is in upstream Patchwire 0.2/0.3's format. Start the agent once (Start-PatchwireAgent or patchwire-agent serve) to import it; Patchwire will not overwrite it otherwise.");
        if (doc?.Users is null)
            throw new RegistryException(RegistryErrorKind.CorruptFile,
                $"The user registry '{path}' has no \"users\" list. Restore it from a backup or fix it by hand; Patchwire will not overwrite it.");
        foreach (var u in doc.Users)
        {
            if (u is null || NameRules.Check(u.Name) is not null || u.TokenSha256.Length != 64)
                throw new RegistryException(RegistryErrorKind.CorruptFile,
                    $"The user registry '{path}' holds an entry with an invalid name or token hash. Fix it by hand; Patchwire will not overwrite it.");
            if (u.Policy?.Check() is { } problem)
                throw new RegistryException(RegistryErrorKind.CorruptFile,
                    $"The user registry '{path}' holds an invalid policy for '{u.Name}': {problem} Fix it by hand or with Set-PatchwireUserPolicy; Patchwire will not overwrite it.");
        }
        // Add refuses these; a hand edit must not bring them in: one user folder and one lock per name on Windows and macOS too.
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var u in doc.Users)
            if (!seen.Add(u.Name))
                throw new RegistryException(RegistryErrorKind.CorruptFile,
                    $"The user registry '{path}' names the user '{u.Name}' twice (names are compared ignoring case). Fix it by hand; Patchwire will not overwrite it.");
        return doc.Users;
    }

    public static string Serialize(IEnumerable<UserRecord> users) =>
        JsonSerializer.Serialize(new RegistryDocument { Version = 1, Users = users.OrderBy(u => u.Name, StringComparer.Ordinal).ToList() }, JsonOptions) + "\n";

    private static void RequireValidName(string name)
    {
        var problem = NameRules.Check(name, "user name");
        if (problem is not null) throw new RegistryException(RegistryErrorKind.InvalidName, problem);
    }

    private static string PrepareToken(string? token)
    {
        if (token is null) return Tokens.Generate();
        var problem = Tokens.CheckSupplied(token);
        if (problem is not null) throw new RegistryException(RegistryErrorKind.InvalidToken, problem);
        return token;
    }

    private static UserRecord Require(List<UserRecord> users, string name)
    {
        RequireValidName(name);
        return users.FirstOrDefault(u => string.Equals(u.Name, name, StringComparison.Ordinal))
            ?? throw new RegistryException(RegistryErrorKind.NotFound, $"No user named '{name}'. Get-PatchwireUser lists the users.");
    }

    private sealed class RegistryDocument
    {
        [JsonPropertyName("version")] public int Version { get; set; } = 1;
        [JsonPropertyName("users")] public List<UserRecord>? Users { get; set; }
    }
}
