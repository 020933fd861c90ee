import { checkIsolation, resumeWithNote, steeringContext } from "@loop/core";
import {
  ArtifactListResponse,
  ArtifactParams,
  CreateTaskBody,
  DeleteTaskQuery,
  DeleteTaskResponse,
  ListTasksQuery,
  MoveTaskBody,
  QueueResponse,
  ResumeTaskBody,
  TaskDetailResponse,
  TaskIdParams,
  TaskListResponse,
  TaskResponse,
} from "@loop/shared";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { AppError } from "../../errors.ts";
import { ARTIFACT_CSP } from "../../plugins/headers.ts";
import { checkWorkingDir } from "../../working-dir.ts";

/**
 * /api/tasks. Each route declares its params, query, body and responses with the shared schemas
 * (app.ts sets the zod compilers): a bad body is 400 invalid_body, a bad id or query 400
 * invalid_query (errors.ts), before the handler runs.
 */
export const taskRoutes: FastifyPluginAsyncZod = async (app) => {
  const { repos, orchestrator } = app;

  // A task is not queued for a CLI that is missing or broken: it would fail at that step, maybe
  // after paying for the other agent's run. Re-checked at once, so a CLI just installed is accepted.
  const agentsAvailable = async () => {
    const reason = await app.agents.unavailable({ recheck: true });
    if (reason) throw new AppError("agent_unavailable", `Cannot run tasks now: ${reason}`);
  };

  const getTask = (id: string) => {
    const task = repos.tasks.get(id);
    if (!task) throw new AppError("task_not_found", `No task with id ${id}`);
    return task;
  };

  app.post(
    "/tasks",
    { schema: { body: CreateTaskBody, response: { 201: TaskResponse } } },
    async ({ body }, reply) => {
      const workingDir = await checkWorkingDir(body.workingDir, app.config.allowedRoots);
      await checkIsolation(workingDir, body.isolation);
      await agentsAvailable();
      // A task that does not say takes the server's default (LOOP_CONTINUE_SESSION).
      const continueSession = body.continueSession ?? app.config.continueSession;
      const task = await orchestrator.submit({ ...body, workingDir, continueSession });
      return reply.status(201).send({ task });
    },
  );

  app.get(
    "/tasks",
    { schema: { querystring: ListTasksQuery, response: { 200: TaskListResponse } } },
    async ({ query }) => {
      // Read before the list: a change made in between is then in the events after this id.
      const lastEventId = repos.events.maxId();
      return { ...repos.tasks.list(query), lastEventId };
    },
  );

  app.get(
    "/tasks/:id",
    { schema: { params: TaskIdParams, response: { 200: TaskDetailResponse } } },
    async ({ params: { id } }) => {
      // Read first, as in the list: a change made while the rows are read is in the events after it.
      const lastEventId = repos.events.maxId();
      const task = getTask(id);
      const [iterations, findings, notes] = [
        repos.iterations.list(id),
        repos.findings.list(id),
        repos.notes.list(id),
      ];
      return { task, iterations, findings, notes, lastEventId };
    },
  );

  app.get(
    "/tasks/:id/artifacts",
    { schema: { params: TaskIdParams, response: { 200: ArtifactListResponse } } },
    async ({ params: { id } }) => {
      getTask(id);
      return { artifacts: await orchestrator.artifacts.list(id) };
    },
  );

  // Markdown, not JSON: no response schema.
  app.get("/tasks/:id/artifacts/:name", { schema: { params: ArtifactParams } }, async ({ params }, reply) => {
    const { id, name } = params;
    getTask(id);
    const content = await orchestrator.artifacts.read(id, name);
    if (content === undefined) throw new AppError("artifact_not_found", `Task ${id} has no artifact ${name}`);
    return reply
      .type("text/markdown; charset=utf-8")
      .header("cache-control", "no-cache")
      .header("content-security-policy", ARTIFACT_CSP)
      .send(content);
  });

  app.post(
    "/tasks/:id/cancel",
    { schema: { params: TaskIdParams, response: { 200: TaskResponse } } },
    async ({ params: { id } }) => {
      getTask(id);
      return { task: await orchestrator.cancel(id) };
    },
  );

  app.delete(
    "/tasks/:id",
    { schema: { params: TaskIdParams, querystring: DeleteTaskQuery, response: { 200: DeleteTaskResponse } } },
    async ({ params: { id }, query }) => {
      getTask(id);
      const deleteBranch = query.deleteBranch === "1" || query.deleteBranch === "true";
      await orchestrator.delete(id, { deleteBranch });
      return { deleted: id };
    },
  );

  app.post(
    "/tasks/:id/retry",
    { schema: { params: TaskIdParams, response: { 201: TaskResponse } } },
    async ({ params: { id } }, reply) => {
      const { workingDir, isolation } = getTask(id);
      // The roots may have changed since the task was filed.
      if (app.config.allowedRoots.length > 0) await checkWorkingDir(workingDir, app.config.allowedRoots);
      await checkIsolation(workingDir, isolation);
      await agentsAvailable();
      return reply.status(201).send({ task: await orchestrator.retry(id) });
    },
  );

  app.post(
    "/tasks/:id/resume",
    // No body at all is an empty one: resume as it was.
    { schema: { params: TaskIdParams, body: ResumeTaskBody.nullish(), response: { 200: TaskResponse } } },
    async ({ params: { id }, body }) => {
      const { workingDir } = getTask(id);
      if (app.config.allowedRoots.length > 0) await checkWorkingDir(workingDir, app.config.allowedRoots);
      await agentsAvailable();
      const { extraIterations, note, ...caps } = body ?? {};
      const steering = steeringContext(orchestrator, { repos, bus: app.bus, log: app.log });
      const args = { id, extra: extraIterations ?? 0, caps, note };
      return { task: await resumeWithNote(orchestrator, steering, args) };
    },
  );

  app.post(
    "/tasks/:id/move",
    { schema: { params: TaskIdParams, body: MoveTaskBody, response: { 200: QueueResponse } } },
    async ({ params: { id }, body }) => {
      getTask(id);
      return orchestrator.move(id, body.to);
    },
  );
};
