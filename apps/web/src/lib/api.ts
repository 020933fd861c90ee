import type {
  ArtifactListResponse,
  BranchResponse,
  CreateTaskBody,
  HealthResponse,
  Task,
  TaskDetailResponse,
  TaskListResponse,
  TaskResponse,
  TaskStatus,
} from "@loop/shared";

/** GET /api/queue: queued tasks in the order they will run. */
export interface QueueState {
  paused: boolean;
  tasks: Task[];
  running: Task | null;
  /** "waiting: codex not found at …" while the worker holds the queue for an agent CLI. */
  waiting?: string;
}

import { createStore } from "./store.ts";

/** An error answer from the API: `{ error: { code, message } }` plus the HTTP status. */
export class ApiError extends Error {
  override name = "ApiError";
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** True once any /api request answered 401: the app then shows how to get in. */
export const unauthorized = createStore(false);

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: "same-origin", headers: { accept: "application/json" } };
  // The server answers 415 to a content-type without a JSON body, so only send it with one.
  if (body !== undefined) {
    init.headers = { ...init.headers, "content-type": "application/json" };
    init.body = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, "network_error", "Cannot reach the loop server. Is it still running?");
  }
  if (res.status === 401) unauthorized.set(true);
  if (!res.ok) throw await toApiError(res);
  const type = res.headers.get("content-type") ?? "";
  return (type.includes("json") ? await res.json() : await res.text()) as T;
}

async function toApiError(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    if (body.error?.code)
      return new ApiError(res.status, body.error.code, body.error.message ?? res.statusText);
  } catch {
    // Not our JSON error shape (a proxy page, a crash): fall through to the status line.
  }
  return new ApiError(res.status, "http_error", `${res.status} ${res.statusText}`.trim());
}

const enc = encodeURIComponent;

export const api = {
  health: () => request<HealthResponse>("GET", "/api/health"),
  listTasks: (q: { limit?: number; cursor?: string | null; status?: TaskStatus; q?: string } = {}) => {
    const p = new URLSearchParams();
    if (q.limit) p.set("limit", String(q.limit));
    if (q.cursor) p.set("cursor", q.cursor);
    if (q.status) p.set("status", q.status);
    if (q.q?.trim()) p.set("q", q.q.trim());
    const qs = p.toString();
    return request<TaskListResponse>("GET", `/api/tasks${qs ? `?${qs}` : ""}`);
  },
  getTask: (id: string) => request<TaskDetailResponse>("GET", `/api/tasks/${enc(id)}`),
  createTask: (body: CreateTaskBody) => request<TaskResponse>("POST", "/api/tasks", body),
  deleteTask: (id: string) => request<{ deleted: string }>("DELETE", `/api/tasks/${enc(id)}`),
  cancelTask: (id: string) => request<TaskResponse>("POST", `/api/tasks/${enc(id)}/cancel`),
  retryTask: (id: string) => request<TaskResponse>("POST", `/api/tasks/${enc(id)}/retry`),
  resumeTask: (id: string, extraIterations?: number) =>
    request<TaskResponse>("POST", `/api/tasks/${enc(id)}/resume`, extraIterations ? { extraIterations } : {}),
  moveTask: (id: string, to: "top" | "up" | "down" | "bottom") =>
    request<QueueState>("POST", `/api/tasks/${enc(id)}/move`, { to }),
  queue: () => request<QueueState>("GET", "/api/queue"),
  setQueuePaused: (paused: boolean) =>
    request<QueueState>("POST", `/api/queue/${paused ? "pause" : "resume"}`),
  listArtifacts: (id: string) => request<ArtifactListResponse>("GET", `/api/tasks/${enc(id)}/artifacts`),
  readArtifact: (id: string, name: string) =>
    request<string>("GET", `/api/tasks/${enc(id)}/artifacts/${enc(name)}`),
  // A worktree task's branch (docs/landing.md).
  branch: (id: string) => request<BranchResponse>("GET", `/api/tasks/${enc(id)}/branch`),
  mergeTask: (id: string, mode: "merge" | "squash") =>
    request<{ task: Task; commit: string }>("POST", `/api/tasks/${enc(id)}/merge`, { mode }),
  openPr: (id: string) => request<{ url: string; task: Task }>("POST", `/api/tasks/${enc(id)}/pr`, {}),
  discardBranch: (id: string) => request<TaskResponse>("POST", `/api/tasks/${enc(id)}/discard`),
  /** The patch as a download (the session cookie signs the request). */
  patchUrl: (id: string) => `/api/tasks/${enc(id)}/patch`,
};

export type FormField = "title" | "prompt" | "workingDir" | "maxIterations";

/** The New task form's labels, by the API field each one fills. */
export const FIELD_LABELS: Record<FormField, string> = {
  title: "Title",
  prompt: "Prompt",
  workingDir: "Working directory",
  maxIterations: "Max iterations",
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
