import { useStore } from "../../lib/store.ts";
import { health } from "./health.ts";
import { currentWindows, describeWindow, windowLevel } from "./limits.ts";

/** The agents' subscription windows as last reported (GET /api/health `limits`), in the top bar. */
export function SubscriptionWindows() {
  const h = useStore(health);
  const windows = currentWindows(h?.limits ?? []);
  if (windows.length === 0) return null;
  return (
    <ul className="windows" aria-label="Subscription windows">
      {windows.map((w) => (
        <li
          key={`${w.agent}:${w.window}`}
          data-level={windowLevel(w)}
          title={`as of ${new Date(w.updatedAt).toLocaleString()}`}
        >
          {describeWindow(w)}
        </li>
      ))}
    </ul>
  );
}
