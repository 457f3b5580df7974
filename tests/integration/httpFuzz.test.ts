// The short twin of tests/faults/httpFuzz.test.ts (issue #10 item 6), run by
// `npm test`: a few hundred malformed requests with a fixed seed, so every
// change meets the same ones. No 5xx, no hang. On PostgreSQL only
// (integrationBackends.ts), where its own server starts faster: it signs in
// as the administrator and fuzzes the dashboard's actions, so it does not
// borrow the worker's shared server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fuzzServer, UNWANTED_LOG_LINES } from "../helpers/httpFuzzRun";
import { startSeededServer } from "../helpers/server";

describe("HTTP fuzz (short, fixed seed)", () => {
  let suite: Awaited<ReturnType<typeof startSeededServer>>;
  beforeAll(async () => {
    suite = await startSeededServer();
  });
  afterAll(async () => {
    await suite?.stop();
  });

  it("80 batches of up to 8 malformed requests (seed 20261207): no 5xx, no hang, none of the logged errors it used to cause", { timeout: 240_000 }, async () => {
    const report = await fuzzServer({
      url: suite.server.url,
      port: suite.server.port,
      seed: 20261207,
      runs: 80,
      batch: 8,
      timeLimitMs: 180_000,
      requestTimeoutMs: 30_000,
      log: (line) => console.log(line),
    });
    expect(report.sent).toBeGreaterThan(200);
    expect(suite.server.output()).not.toMatch(UNWANTED_LOG_LINES);
  });
});
