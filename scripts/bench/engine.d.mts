// Types for scripts/bench/engine.mjs, imported by tests/unit/benchEngine.test.ts.
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export class Connection {
  request(url: string | URL, init?: { method?: string; headers?: Record<string, string>; body?: string }): Promise<Answer>;
  close(): void;
}

export class UnitError extends Error {
  constructor(key: string, detail?: string);
  key: string;
}

/** The JSON body of an answer with the expected status; a UnitError otherwise. */
export function json(step: string, response: Answer, expectedStatus?: number): unknown;

export interface Side {
  /** The server's process id (its CPU, children included, is the server's). */
  pid: number;
  /** PostgreSQL backends whose CPU counts as the server's database. */
  databasePids(): Promise<number[]>;
}

export interface Spec<State> {
  unit?: "req" | "flow";
  label?: string;
  worker(side: Side, state: State, index: number, conn: Connection): () => Promise<unknown>;
  recover?(side: Side, state: State, index: number): Promise<void>;
}

export interface Run {
  units: number;
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
  errorKinds: Record<string, number>;
  errorSamples: Record<string, string>;
  cpu: { seconds: number; server: number; database: number; harness: number; other: number };
  cpuMsPerUnit: number;
}

export function measure<State>(side: Side, spec: Spec<State>, state: State, options: { connections: number; warmup: number; duration: number }): Promise<Run>;

export function median(values: number[]): number;
