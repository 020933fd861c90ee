import { useStore } from "../../lib/store.ts";
import { health } from "./health.ts";

/**
 * What a claude worker may do without asking (GET /api/health `permissions`): its permission mode
 * and the commands passed as --allowedTools (LOOP_ALLOWED_COMMANDS and LOOP_CHECK_COMMAND; a task's
 * own check and commands are added when it runs). In the top bar, the list in its title.
 */
export function Permissions() {
  const p = useStore(health)?.permissions;
  if (!p) return null;
  const n = p.allowedCommands.length;
  const list =
    n > 0 ? `may run without asking: ${p.allowedCommands.join(", ")}` : "no commands allowed beyond the mode";
  return (
    <span
      className="muted permissions"
      data-testid="permissions"
      title={`Claude as worker: --permission-mode ${p.mode}; ${list}${p.checkCommand ? `; default check: ${p.checkCommand}` : ""}`}
    >
      claude {p.mode} · {n} allowed command{n === 1 ? "" : "s"}
    </span>
  );
}
