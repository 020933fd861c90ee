import { checkIsolation } from "@loop/core";
import { CreateTaskBody, ListTasksQuery, MoveTaskBody, ResumeTaskBody } from "@loop/shared";
import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import { AppError, parseOr } from "../../errors.ts";
import { ARTIFACT_CSP } from "../../plugins/headers.ts";
import { checkWorkingDir } from "../../working-dir.ts";

const IdParams = z.object({ id: z.string().min(1).max(100) });
const ArtifactParams = IdParams.extend({ name: z.string().min(1).max(200) });
const DeleteQuery = z.strictObject({
  deleteBranch: z.enum(["0", "1", "true", "false"], { error: "must be 1 or 0" }).optional(),
});

export const taskRoutes: FastifyPluginAsync = async (app) => {
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

  app.post("/tasks", async (req, reply) => {
    const body = parseOr("invalid_body", CreateTaskBody, req.body);
    const workingDir = await checkWorkingDir(body.workingDir, app.config.allowedRoots);
    await checkIsolation(workingDir, body.isolation);
    await agentsAvailable();
    // A task that does not say takes the server's default (LOOP_CONTINUE_SESSION).
    const continueSession = body.continueSession ?? app.config.continueSession;
    const task = await orchestrator.submit({ ...body, workingDir, continueSession });
    return reply.status(201).send({ task });
  });

  app.get("/tasks", async (req) => {
    const q = parseOr("invalid_query", ListTasksQuery, req.query);
    // Read before the list: a change made in between is then in the events after this id.
    const lastEventId = repos.events.maxId();
    return { ...repos.tasks.list(q), lastEventId };
  });

  app.get("/tasks/:id", async (req) => {
    const { id } = parseOr("invalid_query", IdParams, req.params);
    // Read first, as in the list: a change made while the rows are read is in the events after it.
    const lastEventId = repos.events.maxId();
    const task = getTask(id);
    return { task, iterations: repos.iterations.list(id), findings: repos.findings.list(id), lastEventId };
  });

  app.get("/tasks/:id/artifacts", async (req) => {
    const { id } = parseOr("invalid_query", IdParams, req.params);
    getTask(id);
    return { artifacts: await orchestrator.artifacts.list(id) };
  });

  app.get("/tasks/:id/artifacts/:name", async (req, reply) => {
    const { id, name } = parseOr("invalid_query", ArtifactParams, req.params);
    getTask(id);
    const content = await orchestrator.artifacts.read(id, name);
    if (content === undefined) throw new AppError("artifact_not_found", `Task ${id} has no artifact ${name}`);
    return reply
      .type("text/markdown; charset=utf-8")
      .header("cache-control", "no-cache")
      .header("content-security-policy", ARTIFACT_CSP)
      .send(content);
  });

  app.post("/tasks/:id/cancel", async (req) => {
    const { id } = parseOr("invalid_query", IdParams, req.params);
    getTask(id);
    return { task: await orchestrator.cancel(id) };
  });

  app.delete("/tasks/:id", async (req) => {
    const { id } = parseOr("invalid_query", IdParams, req.params);
    const q = parseOr("invalid_query", DeleteQuery, req.query ?? {});
    getTask(id);
    await orchestrator.delete(id, { deleteBranch: q.deleteBranch === "1" || q.deleteBranch === "true" });
    return { deleted: id };
  });

  app.post("/tasks/:id/retry", async (req, reply) => {
    const { id } = parseOr("invalid_query", IdParams, req.params);
    const { workingDir, isolation } = getTask(id);
    // The roots may have changed since the task was filed.
    if (app.config.allowedRoots.length > 0) await checkWorkingDir(workingDir, app.config.allowedRoots);
    await checkIsolation(workingDir, isolation);
    await agentsAvailable();
    return reply.status(201).send({ task: await orchestrator.retry(id) });
  });

  app.post("/tasks/:id/resume", async (req) => {
    const { id } = parseOr("invalid_query", IdParams, req.params);
    const body = parseOr("invalid_body", ResumeTaskBody, req.body ?? {});
    const { workingDir } = getTask(id);
    if (app.config.allowedRoots.length > 0) await checkWorkingDir(workingDir, app.config.allowedRoots);
    await agentsAvailable();
    const { extraIterations, ...caps } = body;
    return { task: await orchestrator.resume(id, extraIterations ?? 0, caps) };
  });

  app.post("/tasks/:id/move", async (req) => {
    const { id } = parseOr("invalid_query", IdParams, req.params);
    const body = parseOr("invalid_body", MoveTaskBody, req.body);
    getTask(id);
    return orchestrator.move(id, body.to);
  });
};
