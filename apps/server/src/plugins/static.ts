import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";

export const WEB_DIST = fileURLToPath(new URL("../../../web/dist", import.meta.url));

const NO_BUILD = `<!doctype html><meta charset="utf-8"><title>loop</title>
<body><h1>loop</h1>
<p>The dashboard is not built yet. Run <code>pnpm build</code> (or <code>pnpm start</code>, which builds it) and reload.</p>
<p>The API is available under <code>/api</code>.</p></body>`;

/**
 * Serves the SPA: hashed assets cached for a year, index.html never cached, client routes fall
 * back to index.html, /api never does.
 */
export const staticPlugin = fp<{ root?: string }>(
  async (app: FastifyInstance, opts) => {
    const root = opts.root ?? WEB_DIST;
    const hasBuild = existsSync(join(root, "index.html"));
    if (hasBuild) {
      await app.register(fastifyStatic, {
        root,
        wildcard: false,
        index: false,
        setHeaders(res, path) {
          res.header(
            "cache-control",
            path.includes(`${join(root, "assets")}`) ? "public, max-age=31536000, immutable" : "no-cache",
          );
        },
      });
    }
    const sendIndex = (reply: import("fastify").FastifyReply) => {
      reply.header("cache-control", "no-cache");
      if (!hasBuild) return reply.type("text/html; charset=utf-8").send(NO_BUILD);
      return reply.sendFile("index.html");
    };
    app.get("/", (_req, reply) => sendIndex(reply));
    app.setNotFoundHandler((req, reply) => {
      const path = req.url.split("?")[0] ?? "";
      const isAsset = /\.[a-z0-9]+$/i.test(path);
      if (req.method === "GET" && !path.startsWith("/api/") && path !== "/api" && !isAsset)
        return sendIndex(reply);
      return reply
        .status(404)
        .send({ error: { code: "not_found", message: `No route for ${req.method} ${path}` } });
    });
  },
  { name: "loop-static" },
);
