// Types of scripts/server-flags.mjs for the TypeScript tests that use it.
export declare const SERVER_NODE_FLAGS: string[];
