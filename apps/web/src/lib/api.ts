import { ApiError, createApiClient } from "@loop/shared/api-client";
import { createStore } from "./store.ts";

export { ApiError };

/** True once any /api request answered 401: the app then shows how to get in. */
export const unauthorized = createStore(false);

/** The shared client (packages/shared/src/api-client.ts) on this page's origin, with its cookie. */
const client = createApiClient({
  onResponse: (res) => {
    if (res.status === 401) unauthorized.set(true);
  },
});

export const api = {
  ...client,
  /** lib/events.ts's name for client.tasks.list (that file belongs to the event stream's owners). */
  listTasks: client.tasks.list,
};

export type FormField =
  | "title"
  | "prompt"
  | "workingDir"
  | "maxIterations"
  | "maxCostUsd"
  | "maxCodexTokens"
  | "worker"
  | "reviewer"
  | "checkCommand"
  | "after";

/** The New task form's labels, by the API field each one fills. */
export const FIELD_LABELS: Record<FormField, string> = {
  title: "Title",
  prompt: "Prompt",
  workingDir: "Working directory",
  maxIterations: "Max iterations",
  worker: "Worker",
  reviewer: "Reviewer",
  maxCostUsd: "Claude budget",
  maxCodexTokens: "Codex budget",
  checkCommand: "Check command",
  after: "Run after",
};
const isFormField = (name: string): name is FormField => Object.hasOwn(FIELD_LABELS, name);

export interface FormErrors {
  fields: Partial<Record<FormField, string>>;
  /** What cannot be pinned to one field (queue full, unknown fields, network). */
  general?: string;
}

const sentence = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * Maps a failed POST /api/tasks to messages next to the fields, each in the form's words:
 * `invalid_body` names fields as "title: must not be empty; maxIterations: …", which read
 * "Title must not be empty" under the Title field; `invalid_working_dir` is about the working
 * directory. Other errors (queue full, …) are said once, as the server said them.
 */
export function formErrorsFrom(err: unknown): FormErrors {
  if (!(err instanceof ApiError)) return { fields: {}, general: String((err as Error)?.message ?? err) };
  if (err.code === "invalid_working_dir") return { fields: { workingDir: err.message } };
  if (err.code === "invalid_after") return { fields: { after: err.message } };
  if (err.code !== "invalid_body") return { fields: {}, general: err.message };
  const fields: FormErrors["fields"] = {};
  const rest: string[] = [];
  for (const part of err.message.split("; ")) {
    const m = /^([A-Za-z.]+): (.*)$/s.exec(part);
    const name = m?.[1] ?? "";
    if (m && isFormField(name)) {
      // One message per field: the server says each once; keep the first if a proxy repeats it.
      fields[name] ??= `${FIELD_LABELS[name]} ${m[2]}`;
    } else rest.push(m ? `${sentence(name)} ${m[2]}` : sentence(part));
  }
  return rest.length ? { fields, general: `${rest.join(". ")}.` } : { fields };
}
