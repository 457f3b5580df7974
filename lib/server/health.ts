// Health endpoints for load balancers and orchestrators (issue #13 item 1; decision 0017).
//
// /healthz says the process is alive and answering: it touches nothing, so a
// slow database never makes a supervisor restart a healthy process. /readyz
// says whether this process should get traffic: the database answers, every
// shipped migration is applied, a signing key is active for every algorithm, and
// the process is not stopping (SIGTERM, item 4). Both are plain Web handlers on
// the fast lane and in app/ (lib/server/methods.ts), and write no audit event.

/** Where the two endpoints live (the fast lane's table and app/healthz, app/readyz). */
export const HEALTH_PATHS = {
  health: "/healthz",
  readiness: "/readyz",
} as const;

/**
 * One readiness check's verdict. `detail` is shown to whoever probes, so it names what is wrong without
 * secrets or connection strings; `cause` (a driver's error) goes to the server's log only.
 */
export type CheckResult = { ok: true; detail?: string } | { ok: false; detail: string; cause?: unknown };

/** A named check: resolves with its verdict (a throw or a timeout counts as a failure). */
export type ReadinessCheck = () => Promise<CheckResult>;

/** How long one check may take before the probe counts it as failed: a hung pool must not hang the probe. */
export const READINESS_CHECK_TIMEOUT_MS = 2_000;

const HEADERS = {
  "Content-Type": "application/json",
  "Cache-Control": "no-store",
} as const;

function answer(request: Request, status: number, body: unknown): Response {
  // HEAD gets the headers GET would (Node leaves out the body of a HEAD answer anyway; a Web Response must not carry one).
  return new Response(request.method === "HEAD" ? null : JSON.stringify(body), { status, headers: HEADERS });
}

/** GET /healthz: 200 while the process runs its event loop. */
export function createHealthEndpoint(): (request: Request) => Promise<Response> {
  return async (request) => answer(request, 200, { status: "ok" });
}

function withTimeout(check: ReadinessCheck, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${timeoutMs / 1000} s` }), timeoutMs);
  });
  const run = (async () => {
    try {
      return await check();
    } catch (error) {
      return { ok: false as const, detail: error instanceof Error ? error.message : String(error) };
    }
  })();
  return Promise.race([run, timeout]).finally(() => clearTimeout(timer));
}

export interface ReadinessReport {
  ready: boolean;
  /** The failed checks' names, in check order. */
  notReady: string[];
  checks: Record<string, { status: "pass" | "fail"; detail?: string }>;
}

/**
 * What /readyz reports. `stopping` is set once by the shutdown (server.ts): from then on the answer is 503
 * without running the checks, so that a load balancer takes this process out while it still serves.
 */
export class Readiness {
  #stopping: string | null = null;
  #running: Promise<ReadinessReport> | null = null;
  /** Checks that failed at the last run: a failure is logged when it starts and when it ends, not at every probe. */
  #failing = new Set<string>();

  constructor(
    private readonly checks: Readonly<Record<string, ReadinessCheck>>,
    private readonly timeoutMs = READINESS_CHECK_TIMEOUT_MS,
    private readonly log: (line: string, cause?: unknown) => void = (line, cause) =>
      cause === undefined ? console.error(line) : console.error(line, cause),
  ) {}

  /** From now on /readyz answers 503 naming `reason` (e.g. "stopping (SIGTERM)"). */
  markStopping(reason: string): void {
    this.#stopping ??= reason;
  }

  get stopping(): boolean {
    return this.#stopping !== null;
  }

  /** Runs the checks; probes that arrive while a run is under way share it (many balancers, one query). */
  report(): Promise<ReadinessReport> {
    if (this.#stopping !== null) {
      return Promise.resolve({ ready: false, notReady: ["shutdown"], checks: { shutdown: { status: "fail", detail: this.#stopping } } });
    }
    if (!this.#running) {
      const running = this.#run().finally(() => {
        if (this.#running === running) this.#running = null;
      });
      this.#running = running;
    }
    return this.#running;
  }

  async #run(): Promise<ReadinessReport> {
    const names = Object.keys(this.checks);
    const results = await Promise.all(names.map((name) => withTimeout(this.checks[name]!, this.timeoutMs)));
    const report: ReadinessReport = { ready: true, notReady: [], checks: {} };
    names.forEach((name, index) => {
      const result = results[index]!;
      report.checks[name] = result.detail === undefined ? { status: result.ok ? "pass" : "fail" } : { status: result.ok ? "pass" : "fail", detail: result.detail };
      if (!result.ok) {
        report.ready = false;
        report.notReady.push(name);
        if (!this.#failing.has(name)) this.log(`[gatehouse] not ready: ${name}: ${result.detail}`, result.cause);
        this.#failing.add(name);
      } else if (this.#failing.delete(name)) {
        this.log(`[gatehouse] ready again: ${name}`);
      }
    });
    return report;
  }
}

/** GET /readyz: 200 when every check passes, else 503 with the names of those that did not. */
export function createReadinessEndpoint(readiness: Readiness): (request: Request) => Promise<Response> {
  return async (request) => {
    const report = await readiness.report();
    return report.ready
      ? answer(request, 200, { status: "ready", checks: report.checks })
      : answer(request, 503, { status: "not_ready", not_ready: report.notReady, checks: report.checks });
  };
}
