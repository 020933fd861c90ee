import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

/**
 * A scripted model server for the real CLIs: enough of the Anthropic Messages API (claude) and the
 * OpenAI Responses API (codex) to run them end to end on 127.0.0.1, with no account and no network.
 * Replies come from a scenario; everything the CLIs send is kept in `requests` for assertions.
 *
 * Per API, rules are tried in order: the first whose `match` is in the turn's prompt and whose
 * `times` is not used up answers the turn, so `times: 1` rules script successive calls (a 429, then
 * an answer); the later requests of the same turn (after each tool result) stay with that rule.
 */

export interface ScriptedUsage {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
  reasoning?: number;
}

/** A tool call the model asks for. claude runs `bash`/`write` itself; codex runs `bash` (exec_command). */
export type ToolCall = { bash: string; timeoutMs?: number } | { write: { path: string; content: string } };

/** One answer of the model to one HTTP request. */
export interface Reply {
  /** Assistant text (after the tool call, if both are given). */
  text?: string;
  /** A tool call: the turn goes on after the CLI has run it and sent its result. */
  tool?: ToolCall;
  usage?: ScriptedUsage;
  /** Answer with this HTTP error instead (body in the API's error shape). */
  error?: { status: number; type?: string; message?: string; retryAfter?: number; body?: unknown };
  /** Extra response headers (e.g. anthropic-ratelimit-unified-*). */
  headers?: Record<string, string>;
  /** Slow stream: wait this long before each SSE event. */
  chunkDelayMs?: number;
  /** Accept the request, send the stream's first event, then go silent forever. */
  hang?: boolean;
  /** Send the stream's first events, then cut the connection. */
  drop?: boolean;
}

/** Answers the requests of one turn: `replies[k]` answers the request after k tool results. */
export interface Rule {
  /** Substring of the turn's prompt (the last user message that is not a tool result); absent: any. */
  match?: string;
  /** Serve at most this many turns (a retry of the same request is a new turn), then fall through. */
  times?: number;
  replies: Reply[];
}

export interface Scenario {
  claude?: Rule[];
  codex?: Rule[];
}

export type Api = "claude" | "codex";

export interface LoggedRequest {
  api: Api | "other";
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  /** The turn's prompt, as matched against rules. */
  prompt: string;
  /** Tool results sent so far in this turn (which reply of the rule answers). */
  step: number;
  /** Index of the rule that answered; null: no rule matched (the default reply was sent). */
  rule: number | null;
  at: number;
}

const DEFAULT_REPLY: Reply = { text: "(no scripted reply)" };
const MODEL = "claude-sonnet-4-5";

export class ModelServer {
  readonly requests: LoggedRequest[] = [];
  private scenario: Scenario = {};
  private used = new Map<string, number>();
  private bound = new Map<string, number>();
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private listeners: Array<() => void> = [];
  url = "";

  constructor(scenario: Scenario = {}) {
    this.scenario = scenario;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
        res.end(String(e));
      });
    });
    this.server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    const a = this.server.address();
    if (!a || typeof a !== "object") throw new Error("model server is not listening");
    this.url = `http://127.0.0.1:${a.port}`;
    return this.url;
  }

  /** Replaces the scenario, forgets which rules were used and clears the request log. */
  script(scenario: Scenario): void {
    this.scenario = scenario;
    this.used.clear();
    this.bound.clear();
    this.requests.length = 0;
  }

  /** Requests to one API's model endpoint (the turns and retries), in order. */
  calls(api: Api): LoggedRequest[] {
    return this.requests.filter((r) => r.api === api);
  }

  /** Resolves at the next request that satisfies `pred` (or one already logged). */
  waitForRequest(pred: (r: LoggedRequest) => boolean, timeoutMs = 30_000): Promise<LoggedRequest> {
    const found = this.requests.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== check);
        reject(new Error(`no matching request to the model server within ${timeoutMs} ms`));
      }, timeoutMs);
      const check = () => {
        const r = this.requests.find(pred);
        if (!r) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
        resolve(r);
      };
      this.listeners.push(check);
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private log(r: LoggedRequest): void {
    this.requests.push(r);
    for (const l of [...this.listeners]) l();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? "/", "http://x");
    const path = url.pathname;
    let body: unknown = raw;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      // not JSON: logged as text
    }
    const entry = (api: LoggedRequest["api"], prompt = "", step = 0, rule: number | null = null) =>
      this.log({
        api,
        method: req.method ?? "",
        path,
        headers: req.headers,
        body,
        prompt,
        step,
        rule,
        at: Date.now(),
      });

    if (req.method === "POST" && path === "/v1/messages") {
      const b = (body ?? {}) as AnthropicRequest;
      const { prompt, step } = anthropicTurn(b.messages ?? []);
      const session = String(req.headers["x-claude-code-session-id"] ?? "");
      const { rule, reply } = this.choose("claude", prompt, step, session);
      entry("claude", prompt, step, rule);
      return sendAnthropic(res, reply, b.stream === true, b.model ?? MODEL);
    }
    if (req.method === "POST" && path === "/v1/messages/count_tokens") {
      entry("other");
      return json(res, 200, { input_tokens: Math.ceil(raw.length / 4) });
    }
    if (req.method === "GET" && (path === "/v1/models" || path.startsWith("/v1/models/"))) {
      entry("other");
      const model = (id: string) => ({
        type: "model",
        id,
        object: "model",
        display_name: id,
        created_at: "2025-09-29T00:00:00Z",
        created: 1759104000,
        owned_by: "loop-compat",
      });
      if (path !== "/v1/models") return json(res, 200, model(decodeURIComponent(path.slice(11))));
      return json(res, 200, {
        object: "list",
        data: [model(MODEL), model("test-model")],
        models: [],
        has_more: false,
        first_id: MODEL,
        last_id: "test-model",
      });
    }
    if (req.method === "POST" && path === "/v1/responses") {
      const b = (body ?? {}) as OpenAIRequest;
      const { prompt, step } = openaiTurn(b.input ?? []);
      const session = String(req.headers["session-id"] ?? req.headers["x-client-request-id"] ?? "");
      const { rule, reply } = this.choose("codex", prompt, step, session);
      entry("codex", prompt, step, rule);
      return sendOpenAI(res, reply, b.model ?? "test-model");
    }
    entry("other");
    // claude's connectivity check (HEAD /api/hello) and anything else: a plain 200.
    res.writeHead(200, { "content-type": "application/json" });
    res.end(req.method === "HEAD" ? undefined : "{}");
  }

  /** Step 0 picks a rule (and binds the session to it); later steps of the turn stay on that rule. */
  private choose(
    api: Api,
    prompt: string,
    step: number,
    session: string,
  ): { rule: number | null; reply: Reply } {
    const rules = this.scenario[api] ?? [];
    const key = `${api}:${session}:${prompt}`;
    let index: number | undefined;
    if (step > 0) index = this.bound.get(key);
    if (index === undefined || !rules[index]) {
      index = rules.findIndex((r, i) => {
        if (r.match !== undefined && !prompt.includes(r.match)) return false;
        if (step > 0) return r.replies.length > step;
        return r.times === undefined || (this.used.get(`${api}:${i}`) ?? 0) < r.times;
      });
      if (index < 0) return { rule: null, reply: DEFAULT_REPLY };
      if (step === 0) this.used.set(`${api}:${index}`, (this.used.get(`${api}:${index}`) ?? 0) + 1);
      this.bound.set(key, index);
    }
    const rule = rules[index]!;
    const reply = rule.replies[Math.min(step, rule.replies.length - 1)] ?? DEFAULT_REPLY;
    return { rule: index, reply };
  }
}

/** Starts a model server on 127.0.0.1 and a random port. */
export async function startModelServer(scenario: Scenario = {}): Promise<ModelServer> {
  const s = new ModelServer(scenario);
  await s.listen();
  return s;
}

// ── request parsing ──────────────────────────────────────────────────────────

interface AnthropicRequest {
  model?: string;
  stream?: boolean;
  messages?: Array<{ role: string; content: string | Array<Record<string, unknown>> }>;
}

interface OpenAIRequest {
  model?: string;
  input?: Array<Record<string, unknown>>;
}

const isReminder = (t: string) => /^\s*<(system-reminder|environment_context|user_instructions)\b/.test(t);

/** The turn's prompt (last user message that carries text, not tool results) and how many steps followed it. */
function anthropicTurn(messages: NonNullable<AnthropicRequest["messages"]>): {
  prompt: string;
  step: number;
} {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role !== "user") continue;
    const blocks = typeof m.content === "string" ? [{ type: "text", text: m.content }] : m.content;
    if (blocks.some((b) => b.type === "tool_result")) continue;
    const text = blocks
      .filter((b) => b.type === "text" && typeof b.text === "string" && !isReminder(b.text))
      .map((b) => String(b.text))
      .join("\n");
    if (!text) continue;
    const step = messages.slice(i + 1).filter((x) => x.role === "assistant").length;
    return { prompt: text, step };
  }
  return { prompt: "", step: 0 };
}

function openaiTurn(input: NonNullable<OpenAIRequest["input"]>): { prompt: string; step: number } {
  for (let i = input.length - 1; i >= 0; i--) {
    const it = input[i]!;
    if (it.type !== "message" || it.role !== "user" || !Array.isArray(it.content)) continue;
    const text = (it.content as Array<Record<string, unknown>>)
      .filter((c) => typeof c.text === "string" && !isReminder(String(c.text)))
      .map((c) => String(c.text))
      .join("\n");
    if (!text) continue;
    const step = input
      .slice(i + 1)
      .filter((x) => x.type === "function_call_output" || x.type === "custom_tool_call_output").length;
    return { prompt: text, step };
  }
  return { prompt: "", step: 0 };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes SSE frames with the reply's pacing; hangs or drops the connection when told to. */
async function stream(
  res: ServerResponse,
  reply: Reply,
  events: Array<[string, unknown]>,
  headers: Record<string, string>,
): Promise<void> {
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    ...headers,
    ...reply.headers,
  });
  let closed = false;
  res.on("close", () => {
    closed = true;
  });
  for (const [i, [event, data]] of events.entries()) {
    if (closed) return;
    if (reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    if (reply.hang && i === 0) return; // never ends: the client's own timeouts (or a kill) must end it
    if (reply.drop && i === Math.min(2, events.length - 2)) {
      // Cut only after what was written reached the socket, so the client saw a partial stream.
      await new Promise<void>((r) => res.write("", () => r()));
      res.socket?.destroy();
      return;
    }
  }
  res.end();
}

// ── Anthropic Messages API ───────────────────────────────────────────────────

function anthropicContent(reply: Reply, n: number): Array<Record<string, unknown>> {
  const blocks: Array<Record<string, unknown>> = [];
  if (reply.text !== undefined) blocks.push({ type: "text", text: reply.text });
  const t = reply.tool;
  if (t && "bash" in t) {
    blocks.push({
      type: "tool_use",
      id: `toolu_${n}_${randomUUID().slice(0, 8)}`,
      name: "Bash",
      input: {
        command: t.bash,
        description: "Run a command",
        ...(t.timeoutMs !== undefined && { timeout: t.timeoutMs }),
      },
    });
  } else if (t && "write" in t) {
    blocks.push({
      type: "tool_use",
      id: `toolu_${n}_${randomUUID().slice(0, 8)}`,
      name: "Write",
      input: { file_path: t.write.path, content: t.write.content },
    });
  }
  return blocks;
}

function anthropicError(reply: NonNullable<Reply["error"]>): { status: number; body: unknown } {
  const type =
    reply.type ??
    {
      400: "invalid_request_error",
      401: "authentication_error",
      403: "permission_error",
      404: "not_found_error",
    }[reply.status] ??
    (reply.status === 429 ? "rate_limit_error" : reply.status === 529 ? "overloaded_error" : "api_error");
  return {
    status: reply.status,
    body: reply.body ?? { type: "error", error: { type, message: reply.message ?? type } },
  };
}

function sendAnthropic(
  res: ServerResponse,
  reply: Reply,
  streaming: boolean,
  model: string,
): Promise<void> | void {
  const headers = { "request-id": `req_${randomUUID().slice(0, 12)}` };
  if (reply.error) {
    const e = anthropicError(reply.error);
    return json(res, e.status, e.body, {
      ...headers,
      ...(reply.error.retryAfter !== undefined && { "retry-after": String(reply.error.retryAfter) }),
      ...reply.headers,
    });
  }
  const id = `msg_${randomUUID().replaceAll("-", "").slice(0, 24)}`;
  const content = anthropicContent(reply, 0);
  const u = reply.usage ?? {};
  const usage = {
    input_tokens: u.input ?? 100,
    cache_creation_input_tokens: u.cacheWrite ?? 0,
    cache_read_input_tokens: u.cacheRead ?? 0,
    output_tokens: u.output ?? 20,
  };
  const stopReason = reply.tool ? "tool_use" : "end_turn";
  if (!streaming) {
    return json(
      res,
      200,
      {
        id,
        type: "message",
        role: "assistant",
        model,
        content,
        stop_reason: stopReason,
        stop_sequence: null,
        usage,
      },
      { ...headers, ...reply.headers },
    );
  }
  const events: Array<[string, unknown]> = [
    [
      "message_start",
      {
        type: "message_start",
        message: {
          id,
          type: "message",
          role: "assistant",
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...usage, output_tokens: 1 },
        },
      },
    ],
  ];
  content.forEach((block, index) => {
    if (block.type === "text") {
      events.push([
        "content_block_start",
        { type: "content_block_start", index, content_block: { type: "text", text: "" } },
      ]);
      for (const piece of chunks(String(block.text), 3)) {
        events.push([
          "content_block_delta",
          { type: "content_block_delta", index, delta: { type: "text_delta", text: piece } },
        ]);
      }
    } else {
      events.push([
        "content_block_start",
        { type: "content_block_start", index, content_block: { ...block, input: {} } },
      ]);
      events.push([
        "content_block_delta",
        {
          type: "content_block_delta",
          index,
          delta: { type: "input_json_delta", partial_json: JSON.stringify(block.input) },
        },
      ]);
    }
    events.push(["content_block_stop", { type: "content_block_stop", index }]);
  });
  events.push([
    "message_delta",
    {
      type: "message_delta",
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: usage.output_tokens },
    },
  ]);
  events.push(["message_stop", { type: "message_stop" }]);
  return stream(res, reply, events, headers);
}

/** Splits text into about n pieces, so the CLIs see several deltas. */
function chunks(text: string, n: number): string[] {
  if (text.length <= n) return [text];
  const size = Math.ceil(text.length / n);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

// ── OpenAI Responses API ─────────────────────────────────────────────────────

function sendOpenAI(res: ServerResponse, reply: Reply, model: string): Promise<void> | void {
  if (reply.error) {
    const e = reply.error;
    return json(
      res,
      e.status,
      e.body ?? {
        error: {
          type:
            e.type ??
            (e.status === 429
              ? "rate_limit_exceeded"
              : e.status === 401
                ? "invalid_api_key"
                : "server_error"),
          code: e.type ?? null,
          message: e.message ?? `HTTP ${e.status}`,
        },
      },
      { ...(e.retryAfter !== undefined && { "retry-after": String(e.retryAfter) }), ...reply.headers },
    );
  }
  const respId = `resp_${randomUUID().replaceAll("-", "").slice(0, 24)}`;
  const u = reply.usage ?? {};
  const usage = {
    input_tokens: u.input ?? 200,
    input_tokens_details: { cached_tokens: u.cacheRead ?? 0, cache_write_tokens: u.cacheWrite ?? 0 },
    output_tokens: u.output ?? 30,
    output_tokens_details: { reasoning_tokens: u.reasoning ?? 0 },
    total_tokens: (u.input ?? 200) + (u.output ?? 30),
  };
  const response = {
    id: respId,
    object: "response",
    created_at: Math.floor(Date.now() / 1000),
    model,
    status: "in_progress",
    output: [] as unknown[],
  };
  const events: Array<[string, unknown]> = [["response.created", { type: "response.created", response }]];
  const output: Record<string, unknown>[] = [];
  let index = 0;
  const t = reply.tool;
  if (t && "bash" in t) {
    const item = {
      type: "function_call",
      id: `fc_${randomUUID().slice(0, 8)}`,
      call_id: `call_${randomUUID().slice(0, 8)}`,
      name: "exec_command",
      arguments: JSON.stringify({ cmd: t.bash }),
      status: "completed",
    };
    events.push([
      "response.output_item.added",
      { type: "response.output_item.added", output_index: index, item: { ...item, arguments: "" } },
    ]);
    events.push([
      "response.output_item.done",
      { type: "response.output_item.done", output_index: index, item },
    ]);
    output.push(item);
    index++;
  }
  if (reply.text !== undefined && !t) {
    const itemId = `msg_${randomUUID().slice(0, 8)}`;
    const item = {
      type: "message",
      id: itemId,
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text: reply.text, annotations: [] }],
    };
    events.push([
      "response.output_item.added",
      {
        type: "response.output_item.added",
        output_index: index,
        item: { ...item, status: "in_progress", content: [] },
      },
    ]);
    for (const piece of chunks(reply.text, 3)) {
      events.push([
        "response.output_text.delta",
        {
          type: "response.output_text.delta",
          item_id: itemId,
          output_index: index,
          content_index: 0,
          delta: piece,
        },
      ]);
    }
    events.push([
      "response.output_item.done",
      { type: "response.output_item.done", output_index: index, item },
    ]);
    output.push(item);
  }
  events.push([
    "response.completed",
    { type: "response.completed", response: { ...response, status: "completed", output, usage } },
  ]);
  return stream(res, reply, events, {});
}
