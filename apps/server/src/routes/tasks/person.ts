import { acceptTask, addNote, setFinding, steeringContext } from "@loop/core";
import {
  AcceptTaskBody,
  FindingParams,
  FindingPatchBody,
  FindingResponse,
  NoteBody,
  NoteResponse,
  TaskIdParams,
  TaskResponse,
} from "@loop/shared";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";

/**
 * The person in the loop (core's steering.ts): a note for the agents' next prompts, a finding the
 * user dismisses or opens again, and accepting a task that stopped short of done.
 */
export const personRoutes: FastifyPluginAsyncZod = async (app) => {
  const { orchestrator } = app;
  const steering = () => steeringContext(orchestrator, { repos: app.repos, bus: app.bus, log: app.log });

  app.post(
    "/tasks/:id/notes",
    { schema: { params: TaskIdParams, body: NoteBody, response: { 201: NoteResponse } } },
    async ({ params: { id }, body }, reply) =>
      reply.status(201).send({ note: await addNote(steering(), id, body.text) }),
  );

  app.patch(
    "/tasks/:id/findings/:findingId",
    { schema: { params: FindingParams, body: FindingPatchBody, response: { 200: FindingResponse } } },
    async ({ params: { id, findingId }, body }) => ({
      finding: await setFinding(steering(), id, findingId, body.status, body.reason),
    }),
  );

  app.post(
    "/tasks/:id/accept",
    // No body at all is an empty one: accept without a note.
    { schema: { params: TaskIdParams, body: AcceptTaskBody.nullish(), response: { 200: TaskResponse } } },
    async ({ params: { id }, body }) => ({ task: await acceptTask(steering(), id, body?.note) }),
  );
};
