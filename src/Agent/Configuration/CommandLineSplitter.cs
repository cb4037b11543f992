using System.Text;

namespace Patchwire.Agent.Configuration;

/// <summary>Splits PW_AI_ARGS the way a POSIX shell would for plain words and single or double quotes (no expansion).</summary>
public static class CommandLineSplitter
{
    public static IReadOnlyList<string> Split(string text)
    {
        var result = new List<string>();
        var current = new StringBuilder();
        var inWord = false;
        char quote = '\0';
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote != '\0')
            {
                if (c == quote) { quote = '\0'; continue; }
                if (c == '\\' && quote == '"' && i + 1 < text.Length && (text[i + 1] == '"' || text[i + 1] == '\\')) { current.Append(text[++i]); continue; }
                current.Append(c);
                continue;
            }
            if (char.IsWhiteSpace(c))
            {
                if (inWord) { result.Add(current.ToString()); current.Clear(); inWord = false; }
                continue;
            }
            inWord = true;
            if (c == '"' || c == '\'') { quote = c; continue; }
            if (c == '\\' && i + 1 < text.Length) { current.Append(text[++i]); continue; }
            current.Append(c);
        }
        if (quote != '\0') throw new FormatException($"unclosed {quote} quote");
        if (inWord) result.Add(current.ToString());
        return result;
    }
}
