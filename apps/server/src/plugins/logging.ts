import type { LoopEvent } from "@loop/shared";
import { type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from "fastify";
import fp from "fastify-plugin";

/** The log line for one event, or undefined for events that are not a task's lifecycle. */
export function lifecycleLine(
  e: LoopEvent,
  title: () => string,
): { level: "info" | "warn"; text: string } | undefined {
  // Looked up only for lifecycle events: agent.output is most of the traffic.
  const who = () => `task ${e.taskId} "${title()}"`;
  switch (e.type) {
    case "task.created":
      return { level: "info", text: `${who()} queued (${e.data.workingDir})` };
    case "task.started":
      return { level: "info", text: `${who()} started` };
    case "task.finished":
      return { level: "info", text: `${who()} finished: ${e.data.status} (${e.data.reason})` };
    case "task.paused":
      return { level: "info", text: `${who()} paused until ${e.data.resumeAt}: ${e.data.reason}` };
    case "task.interrupted":
    case "task.waiting":
      return { level: "info", text: `${who()} paused: ${e.data.reason}` };
    case "task.resumed":
      return { level: "info", text: `${who()} resumed${e.data.from ? ` from ${e.data.from}` : ""}` };
    case "task.requeued":
      return { level: "info", text: `${who()} queued again from ${e.data.from}` };
    case "task.cancel_requested":
      return { level: "info", text: `${who()} cancel requested` };
    case "task.warning":
      return { level: "warn", text: `${who()} warning: ${e.data.message}` };
    case "iteration.started":
    case "check.started":
    case "check.output":
    case "check.finished":
    case "agent.started":
    case "agent.output":
    case "agent.finished":
    case "review.verdict":
    case "iteration.finished":
    case "task.usage":
    case "changes.recorded":
    case "findings.updated":
    case "note.added":
    case "task.updated":
    case "iteration.updated":
      return undefined;
    default: {
      const _: never = e;
      return _;
    }
  }
}

/** Fastify's per-request lines (and its "route not found"), at debug instead of info: one per request. */
export class QuietRequestLogs extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, req: FastifyRequest, reply: FastifyReply): void {
    if (error) super.requestCompleted(error, req, reply);
    else reply.log.debug({ req, res: reply, responseTime: reply.elapsedTime }, "request completed");
  }

  override routeNotFound(req: FastifyRequest): void {
    req.log.debug(`Route ${req.method}:${req.url} not found`);
  }
}

/**
 * What the terminal shows: one line per task lifecycle event (started, finished, paused,
 * warnings) at info, read off the event bus so it says what the dashboard says. Requests are
 * logged at debug (QuietRequestLogs, given to Fastify in app.ts).
 */
export const loggingPlugin = fp(
  async (app: FastifyInstance) => {
    const unsubscribe = app.bus.subscribe((e) => {
      let title = "";
      const line = lifecycleLine(e, () => {
        title = app.repos.tasks.get(e.taskId)?.title ?? "";
        return title;
      });
      if (line) app.log[line.level]({ taskId: e.taskId, title, event: e.type }, line.text);
    });
    app.addHook("onClose", async () => unsubscribe());
  },
  { name: "loop-logging", dependencies: ["services"] },
);
