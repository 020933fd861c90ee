import { z } from "zod";

/** The two agent CLIs loop drives; either can work or review (task fields `worker` and `reviewer`). */
export const AgentName = z.enum(["claude", "codex"]);
export type AgentName = z.infer<typeof AgentName>;
