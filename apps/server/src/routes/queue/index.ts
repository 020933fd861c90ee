import type { FastifyPluginAsync } from "fastify";

/**
 * The queue as a whole: GET /api/queue (order, pause state, the running task),
 * POST /api/queue/pause and /api/queue/resume. Moving one task: POST /api/tasks/:id/move.
 */
export const queueRoutes: FastifyPluginAsync = async (app) => {
  const { orchestrator } = app;
  // `waiting` while the worker holds the queue for a missing or broken agent CLI.
  const withWaiting = <T extends object>(q: T) => ({
    ...q,
    ...(app.agents.waiting && { waiting: app.agents.waiting }),
  });
  app.get("/queue", async () => withWaiting(orchestrator.queue()));
  app.post("/queue/pause", async () => withWaiting(await orchestrator.setQueuePaused(true)));
  app.post("/queue/resume", async () => withWaiting(await orchestrator.setQueuePaused(false)));
};
