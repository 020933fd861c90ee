import { useEffect, useRef, useState } from "react";
import { navigate } from "./router.tsx";

/** The keys the dashboard answers (not while typing in a field), as the help lists them. */
export const SHORTCUTS: readonly [key: string, what: string][] = [
  ["/", "search: the task list on home, the log in view on a task's page"],
  ["j / k", "next / previous task in the list, or iteration on a task's page"],
  ["c", "new task (the form's Title)"],
  ["?", "this help"],
  ["Esc", "close this help"],
];

const typing = (t: EventTarget | null) =>
  t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));

const visible = (el: Element) => {
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0;
};

/** The targets of j/k: the task list's links on home, the iteration headings on a task's page. */
function stops(): HTMLElement[] {
  const links = [...document.querySelectorAll<HTMLElement>(".tasks .task-title")];
  if (links.length > 0) return links;
  return [...document.querySelectorAll<HTMLElement>("section.iteration h2")];
}

function step(dir: 1 | -1): void {
  const all = stops();
  if (all.length === 0) return;
  const at = all.findIndex((el) => el === document.activeElement || el.contains(document.activeElement));
  const next =
    all[at < 0 ? (dir === 1 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, at + dir))]!;
  if (!next.hasAttribute("tabindex") && next.tagName !== "A") next.tabIndex = -1;
  next.focus();
  next.scrollIntoView({ block: "nearest" });
}

function focusSearch(): void {
  const fields = [...document.querySelectorAll<HTMLInputElement>('input[type="search"]')].filter(visible);
  // On a task's page: the log search nearest the middle of the screen.
  const mid = window.innerHeight / 2;
  const best = fields.sort(
    (a, b) => Math.abs(a.getBoundingClientRect().top - mid) - Math.abs(b.getBoundingClientRect().top - mid),
  )[0];
  const list = document.querySelector<HTMLInputElement>('input[aria-label="Search tasks"]');
  (list ?? best)?.focus();
}

function newTask(): void {
  const focus = () => document.querySelector<HTMLInputElement>('form.new-task input[name="title"]')?.focus();
  if (location.pathname !== "/") {
    navigate("/");
    requestAnimationFrame(() => requestAnimationFrame(focus));
  } else focus();
}

/** `/`, j/k, c and ? across the dashboard, and the help they open. */
export function Shortcuts() {
  const [help, setHelp] = useState(false);
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented || typing(e.target)) return;
      const act: Record<string, () => void> = {
        "/": focusSearch,
        j: () => step(1),
        k: () => step(-1),
        c: newTask,
        "?": () => setHelp((h) => !h),
      };
      const f = act[e.key];
      if (!f) return;
      e.preventDefault();
      f();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (help && !d.open) d.showModal();
    if (!help && d.open) d.close();
  }, [help]);

  return (
    <dialog
      ref={dialog}
      className="shortcuts card"
      aria-labelledby="shortcuts-heading"
      onClose={() => setHelp(false)}
    >
      <h2 id="shortcuts-heading">Keyboard shortcuts</h2>
      <dl>
        {SHORTCUTS.map(([key, what]) => (
          <div key={key}>
            <dt>
              <kbd>{key}</kbd>
            </dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
      <button type="button" onClick={() => setHelp(false)}>
        Close
      </button>
    </dialog>
  );
}
