import { QueueResponse } from "@loop/shared";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";

/**
 * The queue as a whole: GET /api/queue (order, pause state, the running task),
 * POST /api/queue/pause and /api/queue/resume. Moving one task: POST /api/tasks/:id/move.
 */
export const queueRoutes: FastifyPluginAsyncZod = async (app) => {
  const { orchestrator } = app;
  const schema = { response: { 200: QueueResponse } };
  // `waiting` while the worker holds the queue for a missing or broken agent CLI.
  const withWaiting = (q: QueueResponse): QueueResponse => ({
    ...q,
    ...(app.agents.waiting && { waiting: app.agents.waiting }),
  });
  app.get("/queue", { schema }, async () => withWaiting(orchestrator.queue()));
  app.post("/queue/pause", { schema }, async () => withWaiting(await orchestrator.setQueuePaused(true)));
  app.post("/queue/resume", { schema }, async () => withWaiting(await orchestrator.setQueuePaused(false)));
};
