// Types of scripts/build-server.mjs for the TypeScript tests that use it.
export declare const SERVER_ENTRY: string;
export declare const SERVER_BUNDLE: string;
export declare function buildServer(): Promise<string>;
export declare function serverIsFresh(): boolean;
export declare function ensureServerBuilt(): Promise<string>;
