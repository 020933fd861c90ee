import { useStore } from "../../lib/store.ts";
import { agentProblems, health } from "./health.ts";

export function HealthBanner() {
  const h = useStore(health);
  if (!h) return null;
  const problems = agentProblems(h.agents);
  if (problems.length === 0) return null;
  const error = problems.some((p) => p.severity === "error");
  return (
    <section
      className={`banner ${error ? "banner-error" : "banner-warning"}`}
      role="alert"
      aria-label="Agent CLI problems"
    >
      <strong>{error ? "Tasks cannot run yet." : "Check your agent CLIs."}</strong>
      <ul>
        {problems.map((p) => (
          <li key={`${p.agent}: ${p.message}`}>{p.message}</li>
        ))}
      </ul>
    </section>
  );
}
