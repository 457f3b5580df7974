// Issue #13 item 4 over real processes: SIGTERM under client_credentials load.
// For GATEHOUSE_SHUTDOWN_DELAY_SECONDS /readyz answers 503 naming the shutdown
// while token requests are still answered (200, "Connection: close"); then the
// listener closes, a request whose body was still arriving gets its token, the
// process exits 0, and no request sent while the listener was open failed.
// After a restart on the same database every token answered 200 introspects
// active and has its row and its audit event. Once as a single process, once
// with two node:cluster workers (PostgreSQL only, like workers.test.ts). Both
// on one database, three starts in all: the single process's restart is the
// two workers' server, whose restart is a single process again.
import net from "node:net";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SocketPool, introspectAsPostman, mapConcurrently, postmanBasicHeader, seededStore } from "../helpers/faults";
import { queryStore } from "../helpers/processes";
import { startServer, type RunningServer, type TestStore } from "../helpers/server";

const DELAY_SECONDS = 2;
const CONCURRENCY = 8;
/** Requests sent within this margin before the delay ends may meet the closing listener (a reset is allowed then). */
const CLOSING_MARGIN_MS = 250;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Sent {
  at: number;
  status?: number;
  connection?: string;
  token?: string;
  error?: string;
}

/** Whether a new connection to `port` is refused (the listener is closed). */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

/** A token request whose headers and first half of the body are sent now; `finish` sends the rest and reads the answer. */
async function startSlowTokenRequest(port: number) {
  const body = "grant_type=client_credentials&scope=api";
  const socket = net.connect(port, "127.0.0.1");
  await new Promise<void>((resolve) => socket.once("connect", resolve));
  let answer = "";
  socket.setEncoding("utf8").on("data", (chunk) => (answer += chunk));
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  socket.write(
    `POST /connect/token HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: ${postmanBasicHeader()}\r\n` +
      `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
  );
  return {
    async finish(): Promise<string> {
      socket.write(body.slice(10));
      await closed;
      return answer;
    },
  };
}

interface Outcome {
  sent: Sent[];
  sigtermAt: number;
  notReadyAfterMs: number;
  readinessBody: unknown;
  healthDuringDelay: number;
  listenerClosedAfterMs: number;
  slowAnswer: string;
  exitCode: number | null;
  output: string;
}

async function sigtermUnderLoad(server: RunningServer): Promise<Outcome> {
  const exit = new Promise<number | null>((resolve) => server.process.once("exit", (code) => resolve(code)));
  const pool = new SocketPool(CONCURRENCY, 30_000);
  const sent: Sent[] = [];
  let listenerClosed = false;
  const loop = async () => {
    while (!listenerClosed) {
      const entry: Sent = { at: Date.now() };
      sent.push(entry);
      try {
        const response = await pool.request(`${server.url}/connect/token`, {
          method: "POST",
          headers: { Authorization: postmanBasicHeader() },
          form: { grant_type: "client_credentials", scope: "api" },
        });
        entry.status = response.status;
        entry.connection = String(response.headers.connection ?? "");
        if (response.status === 200) entry.token = (JSON.parse(response.text) as { access_token: string }).access_token;
      } catch (error) {
        entry.error = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        if (entry.error === "ECONNREFUSED") return; // the listener is closed: nothing more to send
      }
    }
  };
  const loops = Array.from({ length: CONCURRENCY }, loop);
  while (sent.filter((entry) => entry.status === 200).length < 30) await sleep(20);

  const slow = await startSlowTokenRequest(server.port);
  const sigtermAt = Date.now();
  server.process.kill("SIGTERM");

  let notReadyAfterMs = -1;
  let readinessBody: unknown;
  while (Date.now() - sigtermAt < DELAY_SECONDS * 1000) {
    const response = await fetch(`${server.url}/readyz`);
    if (response.status === 503) {
      notReadyAfterMs = Date.now() - sigtermAt;
      readinessBody = await response.json();
      break;
    }
    await response.arrayBuffer();
    await sleep(20);
  }
  const healthDuringDelay = (await fetch(`${server.url}/healthz`)).status;

  while (!(await refused(server.port))) await sleep(25);
  const listenerClosedAfterMs = Date.now() - sigtermAt;
  listenerClosed = true;
  // The listener is closed, the slow request is still in flight: it must be answered.
  const slowAnswer = await slow.finish();
  await Promise.all(loops);
  pool.close();
  const exitCode = await exit;
  return { sent, sigtermAt, notReadyAfterMs, readinessBody, healthDuringDelay, listenerClosedAfterMs, slowAnswer, exitCode, output: server.output() };
}

function tokenOf(httpAnswer: string): string | undefined {
  const body = httpAnswer.slice(httpAnswer.indexOf("\r\n\r\n") + 4);
  try {
    return (JSON.parse(body) as { access_token?: string }).access_token;
  } catch {
    return undefined;
  }
}

/** GATEHOUSE_ISSUER of the file's first server, once there is one. */
function withIssuer(): Record<string, string> {
  return issuer ? { GATEHOUSE_ISSUER: issuer } : {};
}

let store: TestStore;
/** The first server's address: every server of the file issues tokens as it, so the restarts verify them all. */
let issuer: string | undefined;
/** The server a suite's restart started with the next suite's settings: the next suite stops it under load. */
let handedOver: RunningServer | undefined;

beforeAll(async () => {
  store = await seededStore("postgres");
});

afterAll(async () => {
  await handedOver?.stop();
  await store?.cleanup();
});

/** `next`: the settings of the suite after this one, whose server this suite's restart starts. */
function shutdownSuite(label: string, env: Record<string, string>, next: Record<string, string> | null) {
  describe(label, () => {
    let server: RunningServer | undefined;

    afterAll(async () => {
      await server?.stop();
    });

    test("SIGTERM under load: /readyz 503 for the delay while requests are served, then a clean exit that failed no accepted request and lost no acknowledged token", async () => {
      server = handedOver ?? (await startServer(store, { ...withIssuer(), GATEHOUSE_SHUTDOWN_DELAY_SECONDS: String(DELAY_SECONDS), ...env }));
      handedOver = undefined;
      issuer ??= server.url;
      // With workers: every one listens (the banner comes after the last), so that the load and the stop reach each.
      while (!server.output().includes("Gatehouse is running at")) await sleep(50);
      const outcome = await sigtermUnderLoad(server);
      server = undefined;
      const context = JSON.stringify({ ...outcome, sent: outcome.sent.length, output: outcome.output.slice(-2_000) });

      // Not ready at once, with the reason; still alive and serving.
      expect(outcome.notReadyAfterMs, context).toBeGreaterThanOrEqual(0);
      expect(outcome.notReadyAfterMs, context).toBeLessThan(1_000);
      expect(outcome.readinessBody).toEqual({ status: "not_ready", not_ready: ["shutdown"], checks: { shutdown: { status: "fail", detail: "stopping (SIGTERM)" } } });
      expect(outcome.healthDuringDelay).toBe(200);
      // The listener stayed open for the delay.
      expect(outcome.listenerClosedAfterMs, context).toBeGreaterThanOrEqual(DELAY_SECONDS * 1000 - 50);

      // Every answer was a token; requests answered during the delay were served and told to reconnect.
      const answered = outcome.sent.filter((entry) => entry.status !== undefined);
      expect(answered.filter((entry) => entry.status !== 200), context).toEqual([]);
      const duringDelay = answered.filter((entry) => entry.at > outcome.sigtermAt + 100 && entry.at < outcome.sigtermAt + DELAY_SECONDS * 1000 - CLOSING_MARGIN_MS);
      expect(duringDelay.length, context).toBeGreaterThan(0);
      expect(duringDelay.every((entry) => entry.connection === "close"), context).toBe(true);
      // No request sent while the listener was surely open failed; later ones found it closed (refused, or reset in the accept queue).
      const failed = outcome.sent.filter((entry) => entry.error !== undefined);
      expect(failed.filter((entry) => entry.at < outcome.sigtermAt + DELAY_SECONDS * 1000 - CLOSING_MARGIN_MS), context).toEqual([]);
      expect(failed.every((entry) => ["ECONNREFUSED", "ECONNRESET"].includes(entry.error!)), context).toBe(true);

      // The request in flight when the listener closed got its token, on a connection that then closed.
      expect(outcome.slowAnswer).toMatch(/^HTTP\/1\.1 200 /);
      expect(outcome.slowAnswer).toMatch(/\r\nconnection: close\r\n/i);
      const slowToken = tokenOf(outcome.slowAnswer);
      expect(slowToken).toBeDefined();

      expect(outcome.exitCode, context).toBe(0);
      expect(outcome.output.match(/Gatehouse stopping \(SIGTERM\)/g)).toHaveLength(1);

      // Nothing acknowledged is lost: after a restart on the same database every token is active, with its row and audit event.
      const tokens = [...answered.map((entry) => entry.token!), slowToken!];
      // The restart is the next suite's server when there is one (a start saved), else a single process.
      server = await startServer(store, { ...withIssuer(), ...(next ? { GATEHOUSE_SHUTDOWN_DELAY_SECONDS: String(DELAY_SECONDS), ...next } : {}) });
      const pool = new SocketPool(4);
      try {
        const introspected = await mapConcurrently(tokens, 4, (token) => introspectAsPostman(pool, server!.url, token));
        const inactive = introspected.filter((answer, index) => !answer.active || answer.jti !== decodeJwt(tokens[index]!).jti);
        expect(inactive.length, `of ${tokens.length} acknowledged tokens`).toBe(0);
      } finally {
        pool.close();
      }
      const jtis = tokens.map((token) => String(decodeJwt(token).jti));
      const [rows] = await queryStore<{ tokens: number; audited: number }>(
        store,
        `SELECT (SELECT count(*)::int FROM "tokens" WHERE "kind" = 'access_token' AND "jti" = ANY($1::text[])) AS tokens,
                (SELECT count(*)::int FROM "audit_events" WHERE "kind" = 'token.issued' AND "details"->>'jti' = ANY($1::text[])) AS audited`,
        [jtis],
      );
      expect(rows).toEqual({ tokens: jtis.length, audited: jtis.length });
      if (next) {
        handedOver = server;
        server = undefined;
      }
    }, 90_000);
  });
}

const TWO_WORKERS = { GATEHOUSE_WORKERS: "2" };
shutdownSuite("one process", {}, TWO_WORKERS);
shutdownSuite("two node:cluster workers", TWO_WORKERS, null);
