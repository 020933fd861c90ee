import type { Finding } from "@loop/shared";
import type { ChangesRecorded } from "../task/model.ts";
import { ChangesDisclosure } from "./ChangesDisclosure.tsx";
import { FindingsList } from "./FindingsList.tsx";

/** The task at a glance: the findings ledger and what the whole task changed so far. */
export function TaskOverview({
  findings,
  changes,
}: {
  findings: readonly Finding[];
  changes: ChangesRecorded | null;
}) {
  return (
    <section className="card task-overview" aria-label="Findings and changes">
      <FindingsList findings={findings} />
      {changes && (
        <ChangesDisclosure
          recorded={changes}
          title="Whole task's changes"
          label="Changes over the whole task"
        />
      )}
    </section>
  );
}
