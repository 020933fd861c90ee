import type { FastifyPluginAsync } from "fastify";

/**
 * The queue as a whole: GET /api/queue (order, pause state, the running task),
 * POST /api/queue/pause and /api/queue/resume. Moving one task: POST /api/tasks/:id/move.
 */
export const queueRoutes: FastifyPluginAsync = async (app) => {
  const { orchestrator } = app;
  app.get("/queue", async () => orchestrator.queue());
  app.post("/queue/pause", async () => orchestrator.setQueuePaused(true));
  app.post("/queue/resume", async () => orchestrator.setQueuePaused(false));
};
