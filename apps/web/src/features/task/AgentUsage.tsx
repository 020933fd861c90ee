import type { Usage } from "@loop/shared";
import { claudeDetail, codexDetail, formatClaudeUsage, formatCodexUsage } from "../../lib/format.ts";

/** Claude's and Codex's usage side by side, never added up (two subscriptions). */
export function AgentUsage({ usage }: { usage: Usage }) {
  return (
    <>
      <span className="muted usage" data-agent="claude" title={claudeDetail(usage.claude)}>
        Claude: {formatClaudeUsage(usage.claude)}
      </span>
      <span className="muted usage" data-agent="codex" title={codexDetail(usage.codex)}>
        Codex: {formatCodexUsage(usage.codex)}
      </span>
    </>
  );
}
