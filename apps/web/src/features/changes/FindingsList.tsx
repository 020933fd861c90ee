import type { Finding } from "@loop/shared";
import { useId } from "react";
import "./changes.css";
import { countFindings, findingState, sortFindings } from "./findings.ts";

/** The findings ledger: each distinct finding of the reviews, open or resolved, and when. */
export function FindingsList({ findings }: { findings: readonly Finding[] }) {
  const headingId = useId();
  const { open, resolved } = countFindings(findings);
  return (
    <section className="findings" aria-labelledby={headingId}>
      <h3 id={headingId}>
        Findings <span className="muted findings-counts">{`${open} open · ${resolved} resolved`}</span>
      </h3>
      {findings.length === 0 ? (
        <p className="muted">The reviewer has reported no findings yet.</p>
      ) : (
        <table className="findings-table">
          <thead>
            <tr>
              <th scope="col">ID</th>
              <th scope="col">Finding</th>
              <th scope="col">Status</th>
              <th scope="col">First</th>
              <th scope="col">Last</th>
            </tr>
          </thead>
          <tbody>
            {sortFindings(findings).map((f) => (
              <tr key={f.id} data-status={f.status}>
                <th scope="row" className="mono">
                  {f.id}
                </th>
                <td className="findings-text">{f.text}</td>
                <td className="findings-status">
                  <FindingBadge finding={f} />
                </td>
                <td className="findings-iter" data-label="first">
                  {f.firstIteration}
                </td>
                <td className="findings-iter" data-label="last">
                  {f.lastIteration}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Colour and text, never colour alone. */
export function FindingBadge({ finding }: { finding: Finding }) {
  return (
    <span className={`badge badge-finding-${finding.status}`} data-status={finding.status}>
      <span aria-hidden="true" className="badge-icon">
        {finding.status === "open" ? "!" : finding.status === "dismissed" ? "–" : "✓"}
      </span>
      <span className="badge-text">
        {finding.status === "open" ? "Open" : finding.status === "dismissed" ? "Dismissed" : "Resolved"}{" "}
        <span className="findings-when">{findingState(finding)}</span>
      </span>
    </span>
  );
}
