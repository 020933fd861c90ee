/*
 * The diff view's layout: unified or split (side by side), as the reader last chose it (kept in
 * localStorage), and always unified where two columns of code would not fit (a phone).
 */
import { useCallback, useSyncExternalStore } from "react";

export type DiffLayout = "unified" | "split";

export const LAYOUT_KEY = "loop.diffLayout";
/** Narrower than this, split falls back to unified (and its toggle is not offered). */
export const NARROW_QUERY = "(max-width: 720px)";

const listeners = new Set<() => void>();
/** The choice made on this page (storage may refuse to keep it). */
let memory: DiffLayout | null = null;
const notify = () => {
  for (const l of listeners) l();
};

export function storedLayout(): DiffLayout {
  try {
    return globalThis.localStorage?.getItem(LAYOUT_KEY) === "split" ? "split" : "unified";
  } catch {
    return "unified"; // storage refused (privacy settings): the default
  }
}

function storeLayout(layout: DiffLayout): void {
  try {
    globalThis.localStorage?.setItem(LAYOUT_KEY, layout);
  } catch {
    // not kept; the choice still holds for this page
  }
  memory = layout;
  notify();
}

const chosen = () => memory ?? storedLayout();

function subscribeChosen(l: () => void) {
  listeners.add(l);
  // Another tab's choice applies here too.
  const onStorage = (e: StorageEvent) => {
    if (e.key !== LAYOUT_KEY) return;
    memory = null;
    l();
  };
  globalThis.addEventListener?.("storage", onStorage);
  return () => {
    listeners.delete(l);
    globalThis.removeEventListener?.("storage", onStorage);
  };
}

const media = () =>
  typeof globalThis.matchMedia === "function" ? globalThis.matchMedia(NARROW_QUERY) : null;

function subscribeNarrow(l: () => void) {
  const m = media();
  m?.addEventListener("change", l);
  return () => m?.removeEventListener("change", l);
}

/** The layout in effect, the reader's choice, whether the screen is too narrow for split, and a setter. */
export function useDiffLayout(): {
  layout: DiffLayout;
  chosen: DiffLayout;
  narrow: boolean;
  choose: (layout: DiffLayout) => void;
} {
  const choice = useSyncExternalStore(subscribeChosen, chosen, () => "unified" as const);
  const narrow = useSyncExternalStore(
    subscribeNarrow,
    () => media()?.matches ?? false,
    () => false,
  );
  const choose = useCallback((l: DiffLayout) => storeLayout(l), []);
  return { layout: narrow ? "unified" : choice, chosen: choice, narrow, choose };
}
