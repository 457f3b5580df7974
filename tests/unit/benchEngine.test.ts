// The reference benchmark's engine (scripts/bench/engine.mjs, `npm run bench -- --reference`):
// a unit whose answer is wrong counts as an error, never as throughput.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Connection, UnitError, json, measure, median } from "../../scripts/bench/engine.mjs";

/** Answers 200 {"ok":true}, except every third request: 500, and every fifth: 200 {"ok":false}. */
function flakyServer() {
  const counts = { ok: 0, failed: 0, wrong: 0 };
  let n = 0;
  const server = http.createServer((_request, response) => {
    n++;
    response.setHeader("content-type", "application/json");
    if (n % 3 === 0) {
      counts.failed++;
      response.statusCode = 500;
      response.end(JSON.stringify({ error: "server_error" }));
    } else if (n % 5 === 0) {
      counts.wrong++;
      response.end(JSON.stringify({ ok: false }));
    } else {
      counts.ok++;
      response.end(JSON.stringify({ ok: true }));
    }
  });
  return { server, counts };
}

describe("bench engine", () => {
  const { server, counts } = flakyServer();
  let url = "";
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test("counts only checked answers as units; non-2xx and wrong bodies are errors by key, warm-up included", async () => {
    const spec = {
      worker: (_side: unknown, _state: unknown, _i: number, conn: Connection) => async () => {
        const body = json("get", await conn.request(url)) as { ok?: boolean };
        if (body.ok !== true) throw new UnitError("get:not ok");
      },
    };
    const run = await measure({ pid: process.pid, databasePids: async () => [] }, spec, {}, { connections: 2, warmup: 0.2, duration: 0.5 });
    expect(run.units).toBeGreaterThan(0);
    expect(run.errorKinds["get:500 server_error"]).toBeGreaterThan(0);
    expect(run.errorKinds["get:not ok"]).toBeGreaterThan(0);
    expect(run.errors).toBe(run.errorKinds["get:500 server_error"]! + run.errorKinds["get:not ok"]!);
    // Units: good answers inside the measured window only; errors: every bad answer of the run.
    expect(run.units).toBeLessThan(counts.ok);
    expect(run.errors).toBe(counts.failed + counts.wrong);
    expect(run.perSecond).toBeCloseTo(run.units / 0.5, 6);
    expect(run.p50).toBeLessThanOrEqual(run.p99);
  });

  test("the median of an even count is the mean of the middle two; non-numbers are left out", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([Number.NaN, 5])).toBe(5);
    expect(median([])).toBeNaN();
  });
});
