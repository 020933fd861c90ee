import type { ReactNode } from "react";

/** The button heading a collapsible panel (an agent's output, the check, the changes): ▸ closed, ▾ open. */
export function DisclosureButton({
  open,
  controls,
  onToggle,
  children,
}: {
  open: boolean;
  /** The id of the body it shows and hides. */
  controls: string;
  onToggle: () => void;
  children: ReactNode;
}) {
  return (
    <button
      type="button"
      className="disclosure"
      aria-expanded={open}
      aria-controls={controls}
      onClick={onToggle}
    >
      <span aria-hidden="true" className="chevron">
        {open ? "▾" : "▸"}
      </span>
      {children}
    </button>
  );
}
