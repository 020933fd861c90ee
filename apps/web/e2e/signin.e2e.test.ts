import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { e2eSuite, signedInPage } from "./harness.ts";

// No LOOP_TOKEN: the server makes its own and keeps it next to the database.
const e2e = e2eSuite({ LOOP_TOKEN: "" });

describe("staying signed in", () => {
  it("a signed-in page keeps working after the server restarts (the token is kept)", async () => {
    expect(readFileSync(join(e2e.server.dir, "loop.db.token"), "utf8").trim()).toBe(e2e.server.token);
    const page = await signedInPage(e2e.browser, e2e.server);
    await page.getByRole("heading", { name: "New task" }).waitFor();

    await e2e.server.restart();
    // The open page's event stream comes back on its own and shows a task filed after the restart.
    const task = await e2e.server.fileTask("Filed after the restart", {
      claude: [{ kind: "ok", text: "done" }],
      codex: [{ kind: "review", text: "STATUS: DONE" }],
    });
    await page.getByRole("link", { name: "Filed after the restart" }).waitFor();
    // A reload asks again with the same cookie: still signed in.
    await page.reload();
    await page.getByRole("link", { name: task.title }).waitFor();
    expect(await page.getByRole("heading", { name: "Open loop with its token" }).count()).toBe(0);
    await page.context().close();
  });

  it("a wrong token on the sign-in page says so; the right one signs in", async () => {
    const context = await e2e.browser.newContext();
    const page = await context.newPage();
    await page.goto(e2e.server.origin);
    await page.getByRole("heading", { name: "Open loop with its token" }).waitFor();
    const field = page.getByLabel("Token", { exact: true });
    await field.fill("not-the-token-0123456789");
    await page.getByRole("button", { name: "Continue" }).click();
    const alert = page.getByRole("alert");
    await alert.getByText("That token is not valid for this server").waitFor();
    expect(await field.getAttribute("aria-invalid")).toBe("true");
    // Still here: a wrong token neither navigates nor sets a cookie.
    expect(new URL(page.url()).search).toBe("");
    expect(await context.cookies()).toEqual([]);

    await field.fill(e2e.server.url);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("heading", { name: "New task" }).waitFor();
    expect(new URL(page.url()).search).toBe("");
    await context.close();
  });
});
