/**
 * The hard ceiling on a task's iteration cap (contract: 1..100). A module of its own: the server's
 * settings read it before the rest of the contract loads (apps/server/src/server.ts begins the CLI
 * checks first).
 */
export const MAX_ITERATIONS_LIMIT = 100;
