/*
 * One typed client for loop's REST API, grouped by resource, for the dashboard and `pnpm loop`
 * alike. Every type comes from the schemas in this package; no zod at run time (type imports only),
 * so the dashboard's bundle stays free of it (@loop/shared/api-client).
 */
import type { ChangesResponse } from "./changes.ts";
import type { ErrorBody } from "./errors.ts";
import type { FindingResponse, NoteResponse } from "./findings.ts";
import type { BranchResponse, MergeBody, PrBody } from "./landing.ts";
import type { LimitsResponse } from "./limits.ts";
import type { SpendResponse } from "./spend.ts";
import type {
  AcceptTaskBody,
  ArtifactListResponse,
  CreateTaskBody,
  DeleteTaskResponse,
  FindingPatchBody,
  HealthResponse,
  MergeResponse,
  PrResponse,
  QueueMove,
  QueueResponse,
  ResumeTaskBody,
  TaskDetailResponse,
  TaskListResponse,
  TaskResponse,
  TaskStatus,
} from "./task.ts";

/**
 * A failed call: the server's `{ error: { code, message } }` with the HTTP status; `network_error`
 * (status 0) when no answer came, `http_error` when the answer was not in loop's error shape.
 */
export class ApiError extends Error {
  override name = "ApiError";
  readonly status: number;
  readonly code: string;
  /** The path called ("/api/tasks/…"). */
  readonly path: string;
  constructor(status: number, code: string, message: string, path = "", options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
    this.code = code;
    this.path = path;
  }
}

export interface ApiClientOptions {
  /** "http://127.0.0.1:4170", or "" for the page's own origin (the dashboard). */
  baseUrl?: string;
  /** Sent as `Authorization: Bearer …` (the terminal client); the dashboard has its cookie. */
  token?: string;
  fetch?: typeof fetch;
  /** Sees every answer before it is read (the dashboard notes a 401 to show how to sign in). */
  onResponse?: (res: Response) => void;
  /** Turns a failure into what the caller throws (the terminal client: its exit statuses). */
  toError?: (e: ApiError) => Error;
}

export interface ListTasksParams {
  limit?: number;
  cursor?: string | null;
  status?: TaskStatus;
  /** Title contains this text (case-insensitive). */
  q?: string;
}

const enc = encodeURIComponent;

function listQuery(q: ListTasksParams): string {
  const p = new URLSearchParams();
  if (q.limit) p.set("limit", String(q.limit));
  if (q.cursor) p.set("cursor", q.cursor);
  if (q.status) p.set("status", q.status);
  if (q.q?.trim()) p.set("q", q.q.trim());
  const qs = p.toString();
  return qs ? `?${qs}` : "";
}

async function toApiError(res: Response, path: string): Promise<ApiError> {
  try {
    const body = (await res.json()) as Partial<ErrorBody>;
    if (body.error?.code) {
      return new ApiError(res.status, body.error.code, body.error.message ?? res.statusText, path);
    }
  } catch {
    // Not our JSON error shape (a proxy page, a crash): fall through to the status line.
  }
  return new ApiError(res.status, "http_error", `${res.status} ${res.statusText}`.trim(), path);
}

export function createApiClient(opts: ApiClientOptions = {}) {
  const base = opts.baseUrl ?? "";
  const doFetch = opts.fetch ?? ((input, init) => fetch(input, init));

  const fail = (e: ApiError) => (opts.toError ? opts.toError(e) : e);

  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    // The server answers 415 to a content-type without a JSON body, so only send it with one.
    if (body !== undefined) headers["content-type"] = "application/json";
    let res: Response;
    try {
      const init = { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) };
      res = await doFetch(`${base}${path}`, init);
    } catch (cause) {
      const where = base ? ` at ${base}` : "";
      const message = `Cannot reach the loop server${where}. Is it still running?`;
      throw fail(new ApiError(0, "network_error", message, path, { cause }));
    }
    opts.onResponse?.(res);
    if (!res.ok) throw fail(await toApiError(res, path));
    const type = res.headers.get("content-type") ?? "";
    return (type.includes("json") ? await res.json() : await res.text()) as T;
  }

  const task = (id: string) => `/api/tasks/${enc(id)}`;

  return {
    /** GET /api/health: the agent CLIs, the queue, the defaults. */
    health: () => request<HealthResponse>("GET", "/api/health"),
    /** GET /api/limits: the agents' subscription windows. */
    limits: () => request<LimitsResponse>("GET", "/api/limits"),
    /** GET /api/usage: what all tasks spent per agent, today, over 7 days and ever. */
    usage: () => request<SpendResponse>("GET", "/api/usage"),
    tasks: {
      list: (q: ListTasksParams = {}) => request<TaskListResponse>("GET", `/api/tasks${listQuery(q)}`),
      get: (id: string) => request<TaskDetailResponse>("GET", task(id)),
      create: (body: CreateTaskBody) => request<TaskResponse>("POST", "/api/tasks", body),
      cancel: (id: string) => request<TaskResponse>("POST", `${task(id)}/cancel`),
      retry: (id: string) => request<TaskResponse>("POST", `${task(id)}/retry`),
      resume: (id: string, body: ResumeTaskBody = {}) =>
        request<TaskResponse>("POST", `${task(id)}/resume`, body),
      /** A note for the agents' next prompts (a queued, running or paused task). */
      note: (id: string, text: string) => request<NoteResponse>("POST", `${task(id)}/notes`, { text }),
      /** Ends a needs_attention, paused or failed task as done: the user accepts it as it is. */
      accept: (id: string, body: AcceptTaskBody = {}) =>
        request<TaskResponse>("POST", `${task(id)}/accept`, body),
      /** Dismisses a finding (with the user's reason) or opens it again. */
      finding: (id: string, findingId: string, body: FindingPatchBody) =>
        request<FindingResponse>("PATCH", `${task(id)}/findings/${enc(findingId)}`, body),
      /** Its place in the queue; answers the queue as it is now. */
      move: (id: string, to: QueueMove) => request<QueueResponse>("POST", `${task(id)}/move`, { to }),
      delete: (id: string, o: { deleteBranch?: boolean } = {}) =>
        request<DeleteTaskResponse>("DELETE", `${task(id)}${o.deleteBranch ? "?deleteBranch=1" : ""}`),
      artifacts: (id: string) => request<ArtifactListResponse>("GET", `${task(id)}/artifacts`),
      /** One artifact's Markdown. */
      artifact: (id: string, name: string) => request<string>("GET", `${task(id)}/artifacts/${enc(name)}`),
      // A worktree task's branch (docs/landing.md).
      branch: (id: string) => request<BranchResponse>("GET", `${task(id)}/branch`),
      merge: (id: string, body: MergeBody = {}) => request<MergeResponse>("POST", `${task(id)}/merge`, body),
      pr: (id: string, body: PrBody = {}) => request<PrResponse>("POST", `${task(id)}/pr`, body),
      discard: (id: string) => request<TaskResponse>("POST", `${task(id)}/discard`),
      /** The task's change as a patch (text/x-patch): an mbox of the branch, or the in-place diff. */
      patch: (id: string) => request<string>("GET", `${task(id)}/patch`),
      /** Where the patch downloads from (the dashboard's link; its cookie signs the request). */
      patchPath: (id: string) => `${task(id)}/patch`,
      /** What iteration n changed, as data (404 changes_not_found when none is stored). */
      iterationChanges: (id: string, n: number) =>
        request<ChangesResponse>("GET", `${task(id)}/iterations/${n}/changes`),
      /** What the whole task changed so far, as data (404 changes_not_found when none is stored). */
      changes: (id: string) => request<ChangesResponse>("GET", `${task(id)}/changes`),
    },
    queue: {
      get: () => request<QueueResponse>("GET", "/api/queue"),
      pause: () => request<QueueResponse>("POST", "/api/queue/pause"),
      resume: () => request<QueueResponse>("POST", "/api/queue/resume"),
    },
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;
