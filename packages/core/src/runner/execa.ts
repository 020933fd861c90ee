/**
 * execa, loaded by the first agent run or git command rather than with the server: its module and
 * its dependencies' tables (signals, figures) are ~10 ms of CPU that a start needs for neither
 * (pnpm bench, cold_start_ratio). Only this folder uses it.
 */
export const loadExeca = (): Promise<typeof import("execa")> => import("execa");
