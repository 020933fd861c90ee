import { type RefObject, useCallback, useEffect, useRef, useState } from "react";

/** Room left under the live end when the page scrolls to it (the heartbeat line stays clear of the edge). */
const MARGIN = 24;
/** How far below the viewport's bottom the live end may sit and still count as "in view". */
const TOLERANCE = 48;

/**
 * Whether the live end (the bottom of the iterations) is in view: a person who scrolled so that
 * they see it is following; one who scrolled up (or down past it) is reading something else.
 */
export function liveInView(bottom: number, viewportHeight: number): boolean {
  return bottom > 0 && bottom <= viewportHeight + TOLERANCE;
}

/** The scroll position that puts the live end at the viewport's bottom, or null when no scroll is needed. */
export function followTarget(
  scrollY: number,
  bottom: number,
  viewportHeight: number,
  always: boolean,
): number | null {
  if (!always && bottom <= viewportHeight) return null;
  return Math.max(0, Math.round(scrollY + bottom - viewportHeight + MARGIN));
}

/**
 * Follow mode for the task page: while the task runs and the person has not scrolled away, the
 * page scrolls as the live end grows (a new iteration, the next agent, a growing line) so the
 * live agent stays in view. Scrolling away stops it; `jump()` (the "Jump to live" button) or
 * scrolling back to the live end resumes it.
 */
export function usePageFollow(
  active: boolean,
  anchor: RefObject<HTMLElement | null>,
): { following: boolean; jump: () => void } {
  const [following, setFollowing] = useState(true);
  const followingRef = useRef(true);
  // The scrollY our own scrollTo left: its scroll event is not the person's.
  const ours = useRef<number | null>(null);

  const set = useCallback((v: boolean) => {
    followingRef.current = v;
    setFollowing(v);
  }, []);

  const scroll = useCallback(
    (always: boolean) => {
      const el = anchor.current;
      if (!el) return;
      const y = followTarget(window.scrollY, el.getBoundingClientRect().bottom, window.innerHeight, always);
      if (y === null) return;
      window.scrollTo(0, y);
      ours.current = window.scrollY;
    },
    [anchor],
  );

  useEffect(() => {
    const el = anchor.current;
    if (!active || !el) return;
    const grew = () => {
      if (followingRef.current) scroll(false);
    };
    // The live end also moves when something above it grows (the header, a banner, a panel that
    // loads late) while the iterations keep their size: the whole page is watched as well.
    const observer = new ResizeObserver(grew);
    observer.observe(el);
    observer.observe(document.body);
    const onScroll = () => {
      if (ours.current !== null && Math.abs(window.scrollY - ours.current) <= 1) return;
      ours.current = null;
      const next = liveInView(el.getBoundingClientRect().bottom, window.innerHeight);
      if (next !== followingRef.current) set(next);
    };
    window.addEventListener("scroll", onScroll, { passive: true });
    return () => {
      observer.disconnect();
      window.removeEventListener("scroll", onScroll);
    };
  }, [active, anchor, scroll, set]);

  const jump = useCallback(() => {
    set(true);
    scroll(true);
  }, [scroll, set]);

  return { following, jump };
}
