import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "vite";
import { CHROMIUM } from "./harness.ts";

const WEB = fileURLToPath(new URL("..", import.meta.url));

/** Builds the SPA once into apps/web/dist, the directory the server serves. */
export default async function setup() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `e2e: no Chromium at ${CHROMIUM}. Install Debian's package (apt-get install chromium) or set LOOP_CHROMIUM.`,
    );
  }
  await build({ root: WEB, configFile: `${WEB}vite.config.ts`, logLevel: "warn" });
}
