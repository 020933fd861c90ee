// Types of scripts/bench/results.mjs for the TypeScript test that uses it.
export interface Measure {
  name: string;
  unit: string;
  op: "<" | "<=" | ">=";
  target: number;
  digits?: number;
}
export interface BenchResult {
  name: string;
  value: number | null;
  unit: string;
  target: number;
  op: "<" | "<=" | ">=";
  pass: boolean;
  note?: string;
}
export declare function meets(value: unknown, op: "<" | "<=" | ">=", target: number): boolean;
export declare function toResult(
  measure: Measure,
  raw?: { value: number | null; note?: string; ok?: boolean },
): BenchResult;
