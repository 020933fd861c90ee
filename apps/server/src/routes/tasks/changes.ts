import { ChangesResponse, IterationParams, TaskIdParams } from "@loop/shared";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { AppError } from "../../errors.ts";

/**
 * What an iteration (or the whole task) changed, as the data NNN-changes.md (changes.md) was
 * rendered from. One route per diff: a large one never rides on GET /api/tasks/:id. Tasks run by
 * a version that stored no data answer 404 changes_not_found; their Markdown stays an artifact.
 */
export const changesRoutes: FastifyPluginAsyncZod = async (app) => {
  const { repos } = app;

  const getTask = (id: string) => {
    if (!repos.tasks.get(id)) throw new AppError("task_not_found", `No task with id ${id}`);
  };

  app.get(
    "/tasks/:id/iterations/:n/changes",
    { schema: { params: IterationParams, response: { 200: ChangesResponse } } },
    async ({ params: { id, n } }) => {
      getTask(id);
      const changes = repos.iterations.changesOf(id, n);
      if (!changes) {
        throw new AppError("changes_not_found", `No changes are stored for iteration ${n} of task ${id}`);
      }
      return { changes };
    },
  );

  app.get(
    "/tasks/:id/changes",
    { schema: { params: TaskIdParams, response: { 200: ChangesResponse } } },
    async ({ params: { id } }) => {
      getTask(id);
      const changes = repos.iterations.taskChanges(id);
      if (!changes) throw new AppError("changes_not_found", `No changes are stored for task ${id}`);
      return { changes };
    },
  );
};
