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
 * Local-server hardening: Host allow-list (defeats DNS rebinding), same-origin only, bearer or
 * cookie token on /api, no CORS headers ever, JSON bodies only.
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
      const host = (req.headers.host ?? "").toLowerCase();
      const hosts = allowedHosts();
      if (!hosts.has(host)) {
        throw new AppError(
          "forbidden_host",
          `Host "${host}" is not served; open http://127.0.0.1:${opts.port() ?? "PORT"}/`,
        );
      }
      const origin = req.headers.origin;
      if (origin !== undefined && !hosts.has(origin.replace(/^https?:\/\//, "").toLowerCase())) {
        throw new AppError("forbidden_origin", `Cross-origin requests are refused (Origin ${origin})`);
      }
      const path = req.url.split("?")[0] ?? "";
      // First visit with ?token=…: set an HttpOnly cookie so the SPA and EventSource authenticate.
      const q = req.query as Record<string, unknown> | undefined;
      if (!path.startsWith("/api/") && typeof q?.token === "string" && sameToken(q.token, opts.token)) {
        reply.setCookie(TOKEN_COOKIE, opts.token, { path: "/", httpOnly: true, sameSite: "strict" });
      }
      if (path.startsWith("/api/") || path === "/api") {
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
  },
  { name: "loop-security" },
);
