import { timingSafeEqual } from "node:crypto";
import fastifyCookie from "@fastify/cookie";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { AppError } from "../errors.ts";

export const TOKEN_COOKIE = "loop_token";

export interface SecurityOptions {
  token: string;
  /** The port the server listens on; Host/Origin must name it. Undefined in inject-only tests. */
  port: () => number | undefined;
}

const sameToken = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Headers a request must not repeat: Node keeps the first Host (or Authorization) and joins the
 * others, so a proxy, a browser and loop could each read a different one.
 */
const SINGLETONS = [
  "host",
  "origin",
  "authorization",
  "content-type",
  "sec-fetch-site",
  "sec-fetch-mode",
  "sec-fetch-dest",
];

/** The first problem that makes a request ambiguous, or undefined. */
export function ambiguity(rawHeaders: readonly string[], target: string | undefined): string | undefined {
  const seen = new Map<string, number>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    seen.set(name, (seen.get(name) ?? 0) + 1);
  }
  for (const name of SINGLETONS) {
    if ((seen.get(name) ?? 0) > 1) return `the request has ${seen.get(name)} ${name} headers`;
  }
  if (!seen.has("host")) return "the request has no Host header";
  // Absolute-form (`GET http://other/ HTTP/1.1`) names a second host; `*` and authority-form are for proxies.
  if (!target?.startsWith("/")) return "the request target is not a path";
  return undefined;
}

/** Sec-Fetch-Site values a browser sends for our own page, a typed URL or a bookmark. */
const SAME_ORIGIN_SITES = new Set(["same-origin", "none"]);

const isApi = (path: string) => path === "/api" || path.startsWith("/api/");

/** The URL with every `token` parameter removed, as a same-origin path (never `//host`). */
export function withoutToken(url: string): string {
  const q = url.indexOf("?");
  const path = `/${(q < 0 ? url : url.slice(0, q)).replace(/^[/\\]+/, "")}`;
  const params = new URLSearchParams(q < 0 ? "" : url.slice(q + 1));
  params.delete("token");
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

const WRONG_TOKEN_PAGE = `<!doctype html>
<html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>loop: wrong token</title>
<main>
<h1>This token does not open loop</h1>
<p>The token in the link is not the one this server printed when it started. It is kept next to
the database, in <code>loop.db.token</code> by default (or set with <code>LOOP_TOKEN</code>).</p>
<p>Open the URL that <code>pnpm start</code> printed (<code>http://127.0.0.1:PORT/?token=…</code>), or
paste its token here:</p>
<form method="get" action="/"><label>Token <input name="token" autocomplete="off" required></label>
<button>Continue</button></form>
</main></html>
`;

/**
 * Local-server hardening, in the order a request meets it: unambiguous requests only, Host
 * allow-list (defeats DNS rebinding), same-origin only (Origin and the browser's Sec-Fetch-Site),
 * the start-up URL's token turned into a cookie and taken out of the URL, then the token on /api.
 * No CORS headers are ever sent; JSON bodies only (app.ts).
 */
export const securityPlugin = fp<SecurityOptions>(
  async (app: FastifyInstance, opts) => {
    await app.register(fastifyCookie);
    const allowedHosts = () => {
      const port = opts.port();
      const names = ["127.0.0.1", "localhost", "[::1]"];
      return new Set(port === undefined ? names : names.map((n) => `${n}:${port}`));
    };

    app.addHook("onRequest", async (req: FastifyRequest, reply: FastifyReply) => {
      const ambiguous = ambiguity(req.raw.rawHeaders, req.raw.url);
      if (ambiguous) throw new AppError("ambiguous_request", `Refused: ${ambiguous}`);

      const host = (req.headers.host ?? "").toLowerCase();
      const hosts = allowedHosts();
      if (!hosts.has(host)) {
        throw new AppError(
          "forbidden_host",
          `Host "${host}" is not served; open http://127.0.0.1:${opts.port() ?? "PORT"}/`,
        );
      }
      const origin = req.headers.origin;
      const o = origin?.toLowerCase();
      // Only our own origin: http, an allowed host, this port (another local port is another site).
      if (o !== undefined && !(o.startsWith("http://") && hosts.has(o.slice(7)))) {
        throw new AppError("forbidden_origin", `Cross-origin requests are refused (Origin ${origin})`);
      }
      const path = req.url.split("?")[0] ?? "";
      const site = req.headers["sec-fetch-site"];
      // Browsers send Sec-Fetch-Site even where they omit Origin (no-cors GETs, EventSource, <img>).
      if (isApi(path) && site !== undefined && !SAME_ORIGIN_SITES.has(site)) {
        throw new AppError(
          "cross_site_request",
          `Refused: the browser marked this request as ${site} (Sec-Fetch-Site); only loop's own page may call the API`,
        );
      }

      if (!isApi(path) && (req.method === "GET" || req.method === "HEAD")) {
        const q = req.query as Record<string, unknown> | undefined;
        if (q?.token !== undefined) return signIn(reply, q.token, req.url);
      }

      if (isApi(path)) {
        const auth = req.headers.authorization;
        const bearer = auth?.startsWith("Bearer ") ? auth.slice(7).trim() : undefined;
        const cookie = req.cookies[TOKEN_COOKIE];
        const ok =
          (bearer !== undefined && sameToken(bearer, opts.token)) ||
          (cookie !== undefined && sameToken(cookie, opts.token));
        if (!ok) {
          throw new AppError(
            "unauthorized",
            "Missing or wrong token: open the URL the server printed at start (…/?token=…) or send Authorization: Bearer <token>",
          );
        }
      }
    });

    /**
     * The first visit (`/?token=…`): the right token becomes an HttpOnly cookie and the browser is
     * sent to the same URL without it, so it stays out of the address bar, history and Referer.
     */
    function signIn(reply: FastifyReply, given: unknown, url: string) {
      reply.header("cache-control", "no-store");
      if (typeof given === "string" && sameToken(given, opts.token)) {
        reply.setCookie(TOKEN_COOKIE, opts.token, { path: "/", httpOnly: true, sameSite: "strict" });
        return reply.redirect(withoutToken(url), 303);
      }
      return reply.status(401).type("text/html; charset=utf-8").send(WRONG_TOKEN_PAGE);
    }
  },
  { name: "loop-security" },
);
