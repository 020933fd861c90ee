import fastifyHelmet from "@fastify/helmet";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";

/**
 * The SPA's policy: everything from this origin only, no inline script, nothing may frame it.
 * `data:` images are the inline favicon; `style-src 'self'` still lets React set element styles
 * (CSSOM), which CSP does not restrict.
 */
const SPA_DIRECTIVES = {
  "default-src": ["'self'"],
  "script-src": ["'self'"],
  "style-src": ["'self'"],
  "img-src": ["'self'", "data:"],
  "font-src": ["'self'"],
  "connect-src": ["'self'"],
  "object-src": ["'none'"],
  "base-uri": ["'none'"],
  "form-action": ["'self'"],
  "frame-ancestors": ["'none'"],
};

/** An artifact opened on its own runs nothing and loads nothing: agents wrote it. */
export const ARTIFACT_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox";

/**
 * What the raw error paths (client errors, bad URLs: answered before any hook runs) send, so no
 * response goes out without them.
 */
export const RAW_RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-resource-policy": "same-origin",
  "cross-origin-opener-policy": "same-origin",
};

/**
 * Security headers on every response that goes through Fastify's hooks (SPA, API, artifacts,
 * errors, event streams): helmet sets them on the raw response in onRequest, so even hijacked SSE
 * responses carry them. Registered first, so a request refused by a later hook has them too.
 */
export const headersPlugin = fp(
  async (app: FastifyInstance) => {
    await app.register(fastifyHelmet, {
      contentSecurityPolicy: { useDefaults: false, directives: SPA_DIRECTIVES },
      frameguard: { action: "deny" },
      referrerPolicy: { policy: "no-referrer" },
      crossOriginResourcePolicy: { policy: "same-origin" },
      crossOriginOpenerPolicy: { policy: "same-origin" },
      // Plain HTTP on loopback: HSTS would make the browser refuse http://127.0.0.1 forever after.
      strictTransportSecurity: false,
    });
  },
  { name: "loop-headers" },
);
