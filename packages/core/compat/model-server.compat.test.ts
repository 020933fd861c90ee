import { afterEach, describe, expect, it } from "vitest";
import { type ModelServer, startModelServer } from "./model-server.ts";

let server: ModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const messages = (prompt: string, extra: object[] = []) => ({
  model: "claude-test",
  stream: true,
  messages: [{ role: "user", content: [{ type: "text", text: prompt }] }, ...extra],
});
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server!.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
const sse = (text: string) =>
  text
    .split("\n\n")
    .filter((b) => b.includes("data: "))
    .map((b) => JSON.parse(b.slice(b.indexOf("data: ") + 6)) as { type: string } & Record<string, unknown>);

describe("the scripted model server", () => {
  it("answers by prompt substring, in order of use (`times`), one reply per step of a turn", async () => {
    server = await startModelServer({
      claude: [
        {
          match: "fix",
          times: 1,
          replies: [{ error: { status: 429, message: "slow down", retryAfter: 3 } }],
        },
        { match: "fix", replies: [{ tool: { bash: "ls" } }, { text: "Fixed." }] },
      ],
    });
    const first = await post("/v1/messages", messages("please fix it"));
    expect(first.status).toBe(429);
    expect(first.headers.get("retry-after")).toBe("3");
    expect(await first.json()).toEqual({
      type: "error",
      error: { type: "rate_limit_error", message: "slow down" },
    });

    const second = sse(await (await post("/v1/messages", messages("please fix it"))).text());
    expect(second.map((e) => e.type)).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(second[1]).toMatchObject({ content_block: { type: "tool_use", name: "Bash" } });
    expect(second[4]).toMatchObject({ delta: { stop_reason: "tool_use" } });

    // After the tool's result the same rule answers the turn's next step.
    const toolTurn = messages("please fix it", [
      {
        role: "assistant",
        content: [{ type: "tool_use", id: "t1", name: "Bash", input: { command: "ls" } }],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "a.txt" }] },
    ]);
    const third = sse(await (await post("/v1/messages", toolTurn)).text());
    const text = third
      .filter((e) => e.type === "content_block_delta")
      .map((e) => (e.delta as { text: string }).text)
      .join("");
    expect(text).toBe("Fixed.");
    expect(server.calls("claude").map((r) => [r.rule, r.step])).toEqual([
      [0, 0],
      [1, 0],
      [1, 1],
    ]);
  });

  it("speaks JSON when not streaming, count_tokens and models; unmatched prompts get a default reply", async () => {
    server = await startModelServer({
      claude: [{ match: "x", replies: [{ text: "y", usage: { input: 7, output: 3 } }] }],
    });
    const r = await (await post("/v1/messages", { ...messages("x"), stream: false })).json();
    expect(r).toMatchObject({
      type: "message",
      content: [{ type: "text", text: "y" }],
      usage: { input_tokens: 7, output_tokens: 3 },
    });
    expect(await (await post("/v1/messages/count_tokens", messages("x"))).json()).toMatchObject({
      input_tokens: expect.any(Number),
    });
    const models = (await (await fetch(`${server.url}/v1/models`)).json()) as { data: unknown[] };
    expect(models.data.length).toBeGreaterThan(0);
    await post("/v1/messages", { ...messages("nothing scripted"), stream: false });
    expect(server.calls("claude").at(-1)).toMatchObject({ rule: null, prompt: "nothing scripted" });
  });

  it("streams the Responses API for codex: a function call, then the message and usage", async () => {
    server = await startModelServer({
      codex: [
        {
          replies: [
            { tool: { bash: "cat a.txt" } },
            { text: "STATUS: DONE", usage: { input: 9, cacheRead: 4, output: 2 } },
          ],
        },
      ],
    });
    const input = [{ type: "message", role: "user", content: [{ type: "input_text", text: "review" }] }];
    const call = sse(await (await post("/v1/responses", { model: "m", stream: true, input })).text());
    expect(call.find((e) => e.type === "response.output_item.done")).toMatchObject({
      item: { type: "function_call", name: "exec_command", arguments: JSON.stringify({ cmd: "cat a.txt" }) },
    });
    const done = sse(
      await (
        await post("/v1/responses", {
          model: "m",
          stream: true,
          input: [
            ...input,
            { type: "function_call", call_id: "c" },
            { type: "function_call_output", call_id: "c", output: "x" },
          ],
        })
      ).text(),
    );
    expect(done.at(-1)).toMatchObject({
      type: "response.completed",
      response: { usage: { input_tokens: 9, input_tokens_details: { cached_tokens: 4 }, output_tokens: 2 } },
    });
  });

  it("drops a connection mid-stream, and hangs until closed", async () => {
    server = await startModelServer({
      claude: [
        { match: "drop", replies: [{ text: "cut off", drop: true }] },
        { match: "hang", replies: [{ text: "never", hang: true }] },
      ],
    });
    const dropped = await post("/v1/messages", messages("drop"));
    await expect(dropped.text()).rejects.toThrow();
    const hung = await post("/v1/messages", messages("hang"));
    const reader = hung.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain("message_start");
    const next = reader.read();
    await server.close();
    server = undefined;
    await expect(next).rejects.toThrow();
  });
});
