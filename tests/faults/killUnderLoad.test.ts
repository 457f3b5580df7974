// kill -9 under token load: nothing acknowledged is lost. The built server
// runs as a child process; sixteen clients ask it for client_credentials
// tokens without pause; at a random moment a few seconds in, with requests
// under way, the server gets SIGKILL (no shutdown hook runs, the embedded
// database gets no chance to close). It is started again on the same store
// (the same PGlite directory: its lock file names a dead pid, which the next
// start detects; the same PostgreSQL database), and every token that was
// answered with a 200 must still be active at introspection. At the end the
// database itself is asked for every acknowledged token's row. Several kills
// per backend. The promise under test is "no token leaves without its record":
// a token answered before its row is durable (a write not awaited, a commit
// batched after the answer, an embedded database not flushing its WAL) shows
// up as an acknowledged token that introspects inactive after the restart.
// Figures: docs/reliability.md.
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SocketPool, introspectAsPostman, mapConcurrently, postgresRuns, postmanBasicHeader, recordFigures, seededStore } from "../helpers/faults";
import { queryStore } from "../helpers/processes";
import { startServer, type Backend, type RunningServer, type TestStore } from "../helpers/server";

const ROUNDS = 3;
const WORKERS = 16;
/** The kill comes at a random moment in this window after the load began (and after MIN_ACKNOWLEDGED tokens). */
const KILL_WINDOW_MS = [1_500, 4_000] as const;
const MIN_ACKNOWLEDGED = 20;
/** Bounds on one round's load, whatever happens: it stops by itself. */
const MAX_REQUESTS_PER_ROUND = 40_000;
const MAX_LOAD_MS = 30_000;
const CHECK_CONCURRENCY = 8;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface RoundFigures {
  round: number;
  requestsTried: number;
  acknowledged: number;
  /** Requests sent and not yet answered when SIGKILL was sent. */
  inFlightAtKill: number;
  /** Answers by status (200, and any refusal such as a 429). */
  answers: Record<string, number>;
  /** Requests that got no complete answer: the ones cut by the kill. */
  cutByKill: number;
  /** Connection errors before the kill (there should be none). */
  errorsBeforeKill: number;
  killedAfterMs: number;
  killSignal: string | null;
  checked: number;
  active: number;
}

/** Loads `server` with client_credentials requests, SIGKILLs it mid-load, returns what was acknowledged. */
async function loadThenKill(server: RunningServer, round: number): Promise<{ tokens: string[]; figures: RoundFigures }> {
  const child = server.process;
  if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the server had already exited before round ${round}`);
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
  const pool = new SocketPool(WORKERS, 20_000);
  const tokens: string[] = [];
  const answers: Record<string, number> = {};
  let tried = 0;
  let settled = 0;
  let errorsBeforeKill = 0;
  let cutByKill = 0;
  let killed = false;
  let stop = false;
  const started = Date.now();

  const worker = async () => {
    while (!stop && tried < MAX_REQUESTS_PER_ROUND && Date.now() - started < MAX_LOAD_MS) {
      tried++;
      try {
        const response = await pool.request(`${server.url}/connect/token`, {
          method: "POST",
          headers: { Authorization: postmanBasicHeader() },
          form: { grant_type: "client_credentials", scope: "api" },
        });
        answers[response.status] = (answers[response.status] ?? 0) + 1;
        // A complete 200 with a token in it: the server acknowledged this token.
        if (response.status === 200) tokens.push((JSON.parse(response.text) as { access_token: string }).access_token);
      } catch {
        if (killed) cutByKill++;
        else errorsBeforeKill++;
      } finally {
        settled++;
      }
    }
  };
  const workers = Array.from({ length: WORKERS }, worker);

  const killAt = started + KILL_WINDOW_MS[0] + Math.random() * (KILL_WINDOW_MS[1] - KILL_WINDOW_MS[0]);
  while (Date.now() < killAt || (tokens.length < MIN_ACKNOWLEDGED && Date.now() - started < MAX_LOAD_MS)) await sleep(20);
  // No new requests from here on; the ones under way meet the kill.
  stop = true;
  killed = true;
  const inFlightAtKill = tried - settled;
  const killedAfterMs = Date.now() - started;
  child.kill("SIGKILL");
  const killSignal = await exited;
  await Promise.all(workers);
  pool.close();
  return {
    tokens,
    figures: {
      round,
      requestsTried: tried,
      acknowledged: tokens.length,
      inFlightAtKill,
      answers,
      cutByKill,
      errorsBeforeKill,
      killedAfterMs,
      killSignal,
      checked: 0,
      active: 0,
    },
  };
}

/** Introspects every token at `server`; returns the ones not active (with their jti), and how many were checked. */
async function inactiveAfterRestart(server: RunningServer, tokens: string[]): Promise<{ inactive: string[]; checked: number }> {
  const pool = new SocketPool(CHECK_CONCURRENCY);
  try {
    const answers = await mapConcurrently(tokens, CHECK_CONCURRENCY, (token) => introspectAsPostman(pool, server.url, token));
    const inactive = tokens
      .map((token, index) => ({ jti: String(decodeJwt(token).jti), answer: answers[index]! }))
      .filter(({ jti, answer }) => !answer.active || answer.jti !== jti)
      .map(({ jti }) => jti);
    return { inactive, checked: answers.length };
  } finally {
    pool.close();
  }
}

function killSuite(backend: Backend) {
  describe(`${backend === "pglite" ? "embedded PGlite (same data directory)" : "PostgreSQL (same database)"}`, () => {
    let store: TestStore;
    let server: RunningServer | undefined;
    let issuer: string;
    const acknowledgedJtis: string[] = [];
    const rounds: RoundFigures[] = [];
    let recordsChecked = 0;

    beforeAll(async () => {
      store = await seededStore(backend);
      server = await startServer(store);
      issuer = server.url;
    });

    afterAll(async () => {
      await server?.stop();
      await store?.cleanup();
      const sum = (key: keyof RoundFigures) => rounds.reduce((total, round) => total + Number(round[key]), 0);
      recordFigures(`kill-9/${backend}`, {
        kills: rounds.length,
        killsSurvived: rounds.filter((round) => round.checked > 0 && round.active === round.checked).length,
        requestsTried: sum("requestsTried"),
        acknowledged: sum("acknowledged"),
        checkedAtIntrospection: sum("checked"),
        activeAtIntrospection: sum("active"),
        recordsCheckedInDatabase: recordsChecked,
        rounds,
      });
    });

    test(`${ROUNDS} × (client_credentials load, SIGKILL mid-load, restart on the same store): every acknowledged token is active at introspection`, async () => {
      for (let round = 1; round <= ROUNDS; round++) {
        const { tokens, figures } = await loadThenKill(server!, round);
        rounds.push(figures);
        const context = `round ${round}: ${JSON.stringify(figures)}`;
        expect(figures.killSignal, context).toBe("SIGKILL");
        expect(figures.acknowledged, context).toBeGreaterThanOrEqual(MIN_ACKNOWLEDGED);
        expect(figures.errorsBeforeKill, context).toBe(0);
        expect(Object.keys(figures.answers).filter((status) => Number(status) >= 500), context).toEqual([]);
        for (const token of tokens) acknowledgedJtis.push(String(decodeJwt(token).jti));

        // Same issuer as before (configuration, not the port), so the tokens' iss still matches.
        server = await startServer(store, { GATEHOUSE_ISSUER: issuer });
        const { inactive, checked } = await inactiveAfterRestart(server, tokens);
        figures.checked = checked;
        figures.active = checked - inactive.length;
        expect(inactive, `round ${round}: acknowledged before the kill, not active after the restart (${inactive.length} of ${checked})`).toEqual([]);
        expect(checked).toBe(tokens.length);
      }
    });

    test("the database holds a valid access-token row for every token acknowledged in every round", async () => {
      expect(acknowledgedJtis.length).toBeGreaterThanOrEqual(ROUNDS * MIN_ACKNOWLEDGED);
      // The embedded database has one opener: stop the server before reading its directory.
      await server?.stop();
      server = undefined;
      const [row] = await queryStore<{ valid: number; total: number }>(
        store,
        `SELECT count(*) FILTER (WHERE "status" = 'valid' AND "expires_at" > now())::int AS valid, count(*)::int AS total
           FROM "tokens" WHERE "kind" = 'access_token' AND "jti" = ANY($1::text[])`,
        [acknowledgedJtis],
      );
      recordsChecked = acknowledgedJtis.length;
      expect(row).toEqual({ valid: acknowledgedJtis.length, total: acknowledgedJtis.length });
    });
  });
}

describe("kill -9 under token load", () => {
  killSuite("pglite");
});

const withPostgres = await postgresRuns();
describe.runIf(withPostgres)("kill -9 under token load", () => {
  killSuite("postgres");
});
