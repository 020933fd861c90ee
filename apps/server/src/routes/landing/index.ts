import { MergeBody, PrBody } from "@loop/shared";
import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import { parseOr } from "../../errors.ts";

const IdParams = z.object({ id: z.string().min(1).max(100) });

/**
 * A worktree task's branch (docs/landing.md): GET /tasks/:id/branch and /patch, POST /merge, /pr
 * and /discard. The work is in app.landing (packages/core/src/landing).
 */
export const landingRoutes: FastifyPluginAsync = async (app) => {
  const { landing } = app;

  app.get("/tasks/:id/branch", async (req) => {
    const { id } = parseOr("invalid_query", IdParams, req.params);
    return landing.branch(id);
  });

  app.post("/tasks/:id/merge", async (req) => {
    const { id } = parseOr("invalid_query", IdParams, req.params);
    const body = parseOr("invalid_body", MergeBody, req.body ?? {});
    return landing.merge(id, body);
  });

  app.post("/tasks/:id/discard", async (req) => {
    const { id } = parseOr("invalid_query", IdParams, req.params);
    return landing.discard(id);
  });

  app.post("/tasks/:id/pr", async (req, reply) => {
    const { id } = parseOr("invalid_query", IdParams, req.params);
    const body = parseOr("invalid_body", PrBody, req.body ?? {});
    return reply.status(201).send(await landing.pr(id, body));
  });

  app.get("/tasks/:id/patch", async (req, reply) => {
    const { id } = parseOr("invalid_query", IdParams, req.params);
    const patch = await landing.patch(id);
    return reply
      .type("text/x-patch; charset=utf-8")
      .header("content-disposition", `attachment; filename="loop-${id}.patch"`)
      .header("cache-control", "no-store")
      .send(patch);
  });
};
