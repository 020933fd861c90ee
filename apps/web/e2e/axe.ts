import { createRequire } from "node:module";
import type { Page } from "playwright-core";

const AXE = (createRequire(import.meta.url)("axe-core") as { source: string }).source;

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * axe-core's serious and critical violations on the page as it is now, or inside `selector`
 * (evaluated past the page's CSP), one line each.
 */
export async function seriousViolations(page: Page, selector?: string): Promise<string[]> {
  await page.evaluate(AXE);
  const violations = (await page.evaluate(async (sel) => {
    const axe = (
      window as unknown as {
        axe: { run: (ctx: Element | Document, o: object) => Promise<{ violations: unknown[] }> };
      }
    ).axe;
    const ctx = sel ? document.querySelector(sel) : document;
    if (!ctx) throw new Error(`axe: nothing matches ${sel}`);
    return (await axe.run(ctx, { resultTypes: ["violations"] })).violations;
  }, selector ?? null)) as Violation[];
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} — ${v.nodes
          .slice(0, 3)
          .map((n) => n.target.join(" "))
          .join(", ")}`,
    );
}

/** How far the page scrolls sideways (0 when nothing is wider than the viewport). */
export const sidewaysOverflow = (page: Page): Promise<number> =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
