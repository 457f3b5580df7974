// lib/server/health.ts: the /healthz and /readyz handlers and the readiness
// report (issue #13 item 1). Over HTTP: tests/integration/health.test.ts.
import { describe, expect, it } from "vitest";
import { createHealthEndpoint, createReadinessEndpoint, Readiness, type CheckResult } from "@/lib/server/health";

const pass = async (): Promise<CheckResult> => ({ ok: true });
const get = (path: string, method = "GET") => new Request(`http://localhost${path}`, { method });

function silentReadiness(checks: ConstructorParameters<typeof Readiness>[0], timeoutMs = 1_000) {
  const lines: string[] = [];
  return { readiness: new Readiness(checks, timeoutMs, (line) => lines.push(line)), lines };
}

describe("/healthz", () => {
  it("answers 200 {status: ok}, uncached, and HEAD without a body", async () => {
    const handler = createHealthEndpoint();
    const response = await handler(get("/healthz"));
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.json()).toEqual({ status: "ok" });
    const head = await handler(get("/healthz", "HEAD"));
    expect([head.status, head.body]).toEqual([200, null]);
  });
});

describe("/readyz", () => {
  it("answers 200 with every check passed", async () => {
    const { readiness } = silentReadiness({ database: pass, signing_keys: pass });
    const response = await createReadinessEndpoint(readiness)(get("/readyz"));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ready", checks: { database: { status: "pass" }, signing_keys: { status: "pass" } } });
  });

  it("answers 503 naming each failed check, a thrown error and a check that takes too long included", async () => {
    const { readiness } = silentReadiness(
      {
        database: pass,
        migrations: async () => ({ ok: false, detail: "not applied: 0042_x" }),
        signing_keys: async () => {
          throw new Error("no active key");
        },
        slow: () => new Promise<CheckResult>(() => undefined),
      },
      50,
    );
    const response = await createReadinessEndpoint(readiness)(get("/readyz"));
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      status: "not_ready",
      not_ready: ["migrations", "signing_keys", "slow"],
      checks: {
        database: { status: "pass" },
        migrations: { status: "fail", detail: "not applied: 0042_x" },
        signing_keys: { status: "fail", detail: "no active key" },
        slow: { status: "fail", detail: "no answer within 0.05 s" },
      },
    });
  });

  it("answers 503 naming the shutdown once stopping, without running the checks", async () => {
    let runs = 0;
    const { readiness } = silentReadiness({
      database: async () => {
        runs++;
        return { ok: true };
      },
    });
    readiness.markStopping("stopping (SIGTERM)");
    readiness.markStopping("stopping (SIGINT)"); // the first reason stays
    const response = await createReadinessEndpoint(readiness)(get("/readyz"));
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: "not_ready", not_ready: ["shutdown"], checks: { shutdown: { status: "fail", detail: "stopping (SIGTERM)" } } });
    expect(runs).toBe(0);
    expect(readiness.stopping).toBe(true);
  });

  it("lets probes that arrive together share one run of the checks", async () => {
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { readiness } = silentReadiness({
      database: async () => {
        runs++;
        await gate;
        return { ok: true };
      },
    });
    const together = [readiness.report(), readiness.report(), readiness.report()];
    release();
    expect((await Promise.all(together)).every((report) => report.ready)).toBe(true);
    expect(runs).toBe(1);
    await readiness.report();
    expect(runs).toBe(2);
  });

  it("logs a failure when it starts and when it ends, not at every probe, with the cause for the log only", async () => {
    let healthy = false;
    const logged: { line: string; cause: unknown }[] = [];
    const cause = new Error("connect ECONNREFUSED 127.0.0.1:5432");
    const readiness = new Readiness({ database: async () => (healthy ? { ok: true } : { ok: false, detail: "the database did not answer", cause }) }, 1_000, (line, c) =>
      logged.push({ line, cause: c }),
    );
    const first = await readiness.report();
    await readiness.report();
    await readiness.report();
    healthy = true;
    await readiness.report();
    await readiness.report();
    expect(logged).toEqual([
      { line: "[gatehouse] not ready: database: the database did not answer", cause },
      { line: "[gatehouse] ready again: database", cause: undefined },
    ]);
    expect(JSON.stringify(first)).not.toContain("ECONNREFUSED");
  });
});
