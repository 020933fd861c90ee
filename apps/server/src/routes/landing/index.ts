import {
  BranchResponse,
  MergeBody,
  MergeResponse,
  PrBody,
  PrResponse,
  TaskIdParams,
  TaskResponse,
} from "@loop/shared";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";

/**
 * A worktree task's branch (docs/landing.md): GET /tasks/:id/branch and /patch, POST /merge, /pr
 * and /discard. The work is in app.landing (packages/core/src/landing).
 */
export const landingRoutes: FastifyPluginAsyncZod = async (app) => {
  const { landing } = app;

  app.get(
    "/tasks/:id/branch",
    { schema: { params: TaskIdParams, response: { 200: BranchResponse } } },
    async ({ params: { id } }) => landing.branch(id),
  );

  app.post(
    "/tasks/:id/merge",
    { schema: { params: TaskIdParams, body: MergeBody.nullish(), response: { 200: MergeResponse } } },
    async ({ params: { id }, body }) => landing.merge(id, body ?? {}),
  );

  app.post(
    "/tasks/:id/discard",
    { schema: { params: TaskIdParams, response: { 200: TaskResponse } } },
    async ({ params: { id } }) => landing.discard(id),
  );

  app.post(
    "/tasks/:id/pr",
    { schema: { params: TaskIdParams, body: PrBody.nullish(), response: { 201: PrResponse } } },
    async ({ params: { id }, body }, reply) => reply.status(201).send(await landing.pr(id, body ?? {})),
  );

  // A patch, not JSON: no response schema.
  app.get("/tasks/:id/patch", { schema: { params: TaskIdParams } }, async ({ params: { id } }, reply) => {
    const patch = await landing.patch(id);
    return reply
      .type("text/x-patch; charset=utf-8")
      .header("content-disposition", `attachment; filename="loop-${id}.patch"`)
      .header("cache-control", "no-store")
      .send(patch);
  });
};
