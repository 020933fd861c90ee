import { lazy, Suspense } from "react";
import type { ChangesViewProps } from "./ChangesView.tsx";

// react-diff-view and its CSS load with the first diff shown, not with the dashboard.
const ChangesView = lazy(() => import("./ChangesView.tsx"));

/** The diff view, fetched on first use; what to import from pages. */
export function LazyChangesView(props: ChangesViewProps) {
  return (
    <Suspense fallback={<p className="muted">Loading the diff view…</p>}>
      <ChangesView {...props} />
    </Suspense>
  );
}
