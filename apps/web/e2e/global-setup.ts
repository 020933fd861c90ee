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
  // Vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
  const env = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await build({ root: WEB, configFile: `${WEB}vite.config.ts`, logLevel: "warn", mode: "production" });
  } finally {
    process.env.NODE_ENV = env;
  }
}
