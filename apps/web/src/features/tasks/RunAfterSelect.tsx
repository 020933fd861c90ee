import { useQuery } from "@tanstack/react-query";
import { queueQuery } from "../../lib/cache.ts";
import type { ControlProps } from "./control.ts";

/**
 * The New task form's "Run after": the task starts once the chosen one is done (task field
 * `after`). It offers the tasks that have not ended, running first, then the queue in its order.
 */
export function RunAfterSelect(props: ControlProps & { value: string; onChange(id: string): void }) {
  const { value, onChange, ...control } = props;
  const read = useQuery(queueQuery);
  const candidates = [...(read.data?.runningTasks ?? []), ...(read.data?.tasks ?? [])];
  // A chosen task that has started or ended since stays listed until the choice changes.
  const missing = value !== "" && !candidates.some((t) => t.id === value);
  return (
    <select {...control} name="after" value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">Nothing: start when its turn comes</option>
      {candidates.map((t) => (
        <option key={t.id} value={t.id}>
          {t.title} ({t.status}, {t.id.slice(-6)})
        </option>
      ))}
      {missing && <option value={value}>{value}</option>}
    </select>
  );
}
