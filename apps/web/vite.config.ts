import type { IncomingMessage, ServerResponse } from "node:http";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

const apiPort = Number(process.env.PORT || 4170);
const apiTarget = `http://127.0.0.1:${apiPort}`;
const DEV_PORT = 5173;

/**
 * Dev only: opening the Vite URL with `?token=…` sets the same HttpOnly cookie the API server sets
 * and redirects to the URL without it, so `pnpm dev` works like `pnpm start` (the proxy forwards the
 * cookie to the API).
 */
function devTokenCookie(): Plugin {
  return {
    name: "loop-dev-token-cookie",
    apply: "serve",
    configureServer(server) {
      server.middlewares.use((req: IncomingMessage, res: ServerResponse, next: () => void) => {
        const url = new URL(req.url ?? "/", "http://localhost");
        const token = url.searchParams.get("token");
        if (token && !url.pathname.startsWith("/api")) {
          res.setHeader(
            "set-cookie",
            `loop_token=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`,
          );
          // As the API server does: the token leaves the URL before the page loads.
          url.searchParams.delete("token");
          res.statusCode = 303;
          res.setHeader("location", `/${url.pathname.replace(/^[/\\]+/, "")}${url.search}`);
          res.setHeader("cache-control", "no-store");
          res.end();
          return;
        }
        next();
      });
    },
  };
}

export default defineConfig({
  plugins: [react(), devTokenCookie()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Hashed file names under dist/assets: the server caches them forever.
    assetsDir: "assets",
    target: "es2022",
    sourcemap: false,
  },
  server: {
    host: "127.0.0.1",
    port: DEV_PORT,
    proxy: {
      "/api": {
        target: apiTarget,
        // The API only serves Host 127.0.0.1:$PORT.
        changeOrigin: true,
        // SSE responses stay open for as long as the page does.
        timeout: 0,
        proxyTimeout: 0,
        configure(proxy) {
          proxy.on("proxyReq", (proxyReq, req) => {
            // The API refuses foreign Origins; our own dev origin is rewritten to the API's, anything else passes unchanged.
            const origin = req.headers.origin;
            if (origin === `http://127.0.0.1:${DEV_PORT}` || origin === `http://localhost:${DEV_PORT}`) {
              proxyReq.setHeader("origin", apiTarget);
            }
          });
          proxy.on("proxyRes", (proxyRes) => {
            if (String(proxyRes.headers["content-type"]).startsWith("text/event-stream")) {
              proxyRes.headers["cache-control"] = "no-cache, no-transform";
              proxyRes.headers["x-accel-buffering"] = "no";
            }
          });
        },
      },
    },
  },
});
