// Tools for the fault suite (tests/faults): stores with the demo data on a
// chosen backend, an HTTP client over keep-alive sockets opened beforehand (so
// racing requests leave together instead of waiting for connects), a bounded
// concurrent map, introspection that waits out a 429, and a figures log the
// reliability notes (docs/reliability.md) are written from. No test-runner
// imports here. All traffic goes to the local test servers (127.0.0.1).
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { DEMO_POSTMAN } from "./codeFlow";
import { postgresAvailable } from "./postgres";
import { PROJECT_ROOT, createTestStore, runCli, startServer, type Backend, type RunningServer, type TestStore } from "./server";

export const isCI = process.env.CI === "true" || process.env.CI === "1";

/**
 * Whether the PostgreSQL parts can run: PostgreSQL answers, or this is CI
 * (where a missing PostgreSQL must fail the run, not skip it, as in npm test).
 */
export async function postgresRuns(): Promise<boolean> {
  return isCI || (await postgresAvailable());
}

/**
 * A fresh store on `backend` with the demo data (alice, postman, spa): the
 * embedded default seeds itself at first start, PostgreSQL is seeded by the CLI
 * (as startSeededServer does for the backend chosen by GATEHOUSE_TEST_BACKEND).
 */
export async function seededStore(backend: Backend): Promise<TestStore> {
  const store = await createTestStore(backend);
  if (backend === "postgres") await runCli(store, ["seed-demo"]);
  return store;
}

/** Two instances on one PostgreSQL store behind one issuer (A's URL), as behind a load balancer. */
export async function startTwoInstances(store: TestStore, extraEnv: Record<string, string> = {}): Promise<[RunningServer, RunningServer]> {
  const a = await startServer(store, extraEnv);
  try {
    const b = await startServer(store, { ...extraEnv, GATEHOUSE_ISSUER: a.url });
    return [a, b];
  } catch (error) {
    await a.stop();
    throw error;
  }
}

export const postmanBasicHeader = () => `Basic ${Buffer.from(`${DEMO_POSTMAN.clientId}:${DEMO_POSTMAN.secret}`).toString("base64")}`;

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export interface RawRequest {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
}

/**
 * node:http over a keep-alive agent of `size` sockets. `warm` opens them all
 * first, so that `size` requests sent together each find a connected socket
 * and reach the server in the same instant: a race, not a queue behind TCP
 * handshakes.
 */
export class SocketPool {
  readonly agent: http.Agent;

  constructor(readonly size: number, private readonly timeoutMs = 60_000) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: size, maxFreeSockets: size, scheduling: "fifo" });
  }

  request(url: string, { method = "GET", headers = {}, form }: RawRequest = {}): Promise<RawResponse> {
    const body = form ? new URLSearchParams(form).toString() : undefined;
    const finalHeaders: Record<string, string> = { ...headers };
    if (body !== undefined) {
      finalHeaders["Content-Type"] = "application/x-www-form-urlencoded";
      finalHeaders["Content-Length"] = String(Buffer.byteLength(body));
    }
    return new Promise((resolve, reject) => {
      const request = http.request(url, { method, headers: finalHeaders, agent: this.agent, timeout: this.timeoutMs }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        // A socket closed mid-answer (the server was killed): whatever came is not an answer.
        response.on("close", () => {
          if (!response.complete) reject(new Error("the connection closed before the answer was complete"));
        });
        response.on("end", () => {
          if (!response.complete) reject(new Error("response ended before it was complete"));
          else resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString("utf8") });
        });
      });
      request.on("timeout", () => request.destroy(new Error(`no answer from ${url} in ${this.timeoutMs} ms`)));
      request.on("error", reject);
      request.end(body);
    });
  }

  /** Opens every socket of the pool against `base` (concurrent GETs of a cheap document). */
  async warm(base: string): Promise<void> {
    const answers = await Promise.all(Array.from({ length: this.size }, () => this.request(`${base}/.well-known/jwks.json`)));
    const failed = answers.filter((answer) => answer.status !== 200);
    if (failed.length > 0) throw new Error(`warming the sockets of ${base}: ${failed.map((answer) => answer.status).join(", ")}`);
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Maps `items` through `work` with at most `concurrency` calls under way; results in input order. */
export async function mapConcurrently<T, R>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends a request again while the answer is 429 (a per-client rate limit may
 * stand in front of an endpoint), waiting as Retry-After says, for at most
 * `budgetMs` in all. Any other answer is returned as is.
 */
export async function retryWhileThrottled(send: () => Promise<RawResponse>, budgetMs = 60_000): Promise<RawResponse> {
  const deadline = Date.now() + budgetMs;
  for (;;) {
    const response = await send();
    if (response.status !== 429 || Date.now() > deadline) return response;
    const seconds = Number(response.headers["retry-after"]);
    await sleep(Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, 5_000) : 500);
  }
}

export interface Introspection {
  active: boolean;
  jti?: string;
  client_id?: string;
  token_type?: string;
}

/** RFC 7662 introspection of `token` as postman (confidential, allowed to introspect its own tokens). */
export async function introspectAsPostman(pool: SocketPool, base: string, token: string): Promise<Introspection> {
  const response = await retryWhileThrottled(() =>
    pool.request(`${base}/connect/introspect`, { method: "POST", headers: { Authorization: postmanBasicHeader() }, form: { token } }),
  );
  if (response.status !== 200) throw new Error(`introspection answered ${response.status}: ${response.text.slice(0, 500)}`);
  return JSON.parse(response.text) as Introspection;
}

const FIGURES_FILE = path.join(PROJECT_ROOT, "tests", ".tmp", "faults-figures.jsonl");

/**
 * Prints one line of figures for a fault test ("[faults] <name> {...}") and
 * appends it, dated, to tests/.tmp/faults-figures.jsonl: docs/reliability.md
 * quotes these.
 */
export function recordFigures(name: string, figures: Record<string, unknown>): void {
  const line = { at: new Date().toISOString(), name, ...figures };
  console.log(`[faults] ${name} ${JSON.stringify(figures)}`);
  fs.mkdirSync(path.dirname(FIGURES_FILE), { recursive: true });
  fs.appendFileSync(FIGURES_FILE, JSON.stringify(line) + "\n");
}
