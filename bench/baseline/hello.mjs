// The bench's baseline: a bare Fastify hello-world answering /api/health, started by `pnpm bench`
// exactly like loop's server (same node, same flags, same measurement code). cold_start_ratio and
// idle_rss_ratio divide loop's figures by this one's, so a slower or faster machine cancels out.
import { createRequire } from "node:module";

// fastify is a dependency of apps/server (pnpm keeps it out of the root's node_modules).
const require = createRequire(new URL("../../apps/server/package.json", import.meta.url));
const { default: Fastify } = await import(require.resolve("fastify"));

const app = Fastify();
app.get("/api/health", async () => ({ ok: true }));
const address = await app.listen({ host: "127.0.0.1", port: Number(process.env.PORT ?? 0) });
process.stdout.write(`hello is running: ${address}/\n`);
