import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  FAKE_CODEX,
  type LoopServer,
  launchBrowser,
  screenshotPath,
  signedInPage,
  startServer,
} from "./harness.ts";

const PHONE = { width: 390, height: 844 };
let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(() => browser?.close());

/** Sentences of the banner said more than once (case and punctuation aside). */
function repeated(text: string): string[] {
  const seen = new Map<string, number>();
  for (const s of text.split(/(?<=[.;])\s+|\n+/)) {
    const key = s
      .toLowerCase()
      .replace(/[^a-z0-9 ]/g, "")
      .trim();
    if (key.length > 12) seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1).map(([k]) => k);
}

/** Phrases of a banner said twice: "not logged in" twice in one line is one too many. */
const phraseTwice = (text: string, phrase: string) => text.toLowerCase().split(phrase).length - 1;

async function serverWith(env: Record<string, string>): Promise<LoopServer> {
  const s = await startServer(env);
  return s;
}

describe("the CLI banner", () => {
  let server: LoopServer;
  afterAll(() => server?.stop());

  it("without the CLIs: red, short on a phone, each thing said once", async () => {
    server = await serverWith({ LOOP_CLAUDE_BIN: "/nowhere/claude", LOOP_CODEX_BIN: "/nowhere/codex" });
    const page = await signedInPage(browser, server, PHONE);
    const banner = page.getByRole("alert", { name: "Agent CLI problems" });
    await banner.waitFor();
    await page.screenshot({ path: screenshotPath("banner-missing-390.png") });
    const text = await banner.innerText();
    expect(repeated(text)).toEqual([]);
    expect(phraseTwice(text, "/nowhere/claude")).toBe(1);
    expect(phraseTwice(text, "/nowhere/codex")).toBe(1);
    // The form is still on the first screen: the banner takes at most a quarter of it.
    const box = (await banner.boundingBox())!;
    expect(box.height).toBeLessThanOrEqual(PHONE.height / 4);
    await page.getByRole("heading", { name: "New task" }).waitFor();
    expect((await page.getByRole("heading", { name: "New task" }).boundingBox())!.y).toBeLessThan(
      PHONE.height / 2,
    );
    await page.context().close();
    await server.stop();
  });

  it("codex not logged in (an API-key setup runs fine): a note said once, dismissed for good", async () => {
    server = await serverWith({ FAKE_LOGGED_IN: "0" });
    const page = await signedInPage(browser, server, PHONE);
    const note = page.getByRole("status", { name: "Agent CLI notes" });
    await note.waitFor();
    // Not the red or amber alert of something broken.
    expect(await page.getByRole("alert", { name: "Agent CLI problems" }).count()).toBe(0);
    const text = await note.innerText();
    expect(repeated(text)).toEqual([]);
    expect(phraseTwice(text, "not logged in")).toBe(1);
    expect(text).toMatch(/API key/);
    await page.screenshot({ path: screenshotPath("banner-not-logged-in-390.png") });
    await note.getByRole("button", { name: /Dismiss/ }).click();
    await expect.poll(() => note.count()).toBe(0);
    // Gone on the next page and after a reload.
    await page.reload();
    await page.getByRole("heading", { name: "New task" }).waitFor();
    // The form's placeholder comes from /api/health, as the note would: once it shows, so would the note.
    await expect
      .poll(() => page.getByLabel("Max iterations", { exact: true }).getAttribute("placeholder"))
      .toBe("10 (default)");
    expect(await page.getByRole("status", { name: "Agent CLI notes" }).count()).toBe(0);
    await page.context().close();
  });
});

export type { Page };

void FAKE_CODEX;
