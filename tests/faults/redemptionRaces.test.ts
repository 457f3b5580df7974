// Twenty clients redeeming one authorization code, or presenting one refresh
// token, in the same instant, round after round: exactly one success every
// time, every other answer 400 invalid_grant, never a 5xx; and because each of
// the nineteen losers is a replay, what the winner got is revoked afterwards
// (RFC 6749 §4.1.2, RFC 9700 §4.2.4 and §4.14.2). On the embedded PGlite with
// one instance, and on PostgreSQL with the twenty requests split across two
// instances on one database (the case where only the database's atomic
// statement can keep the promise, no in-process lock could).
// One round per backend of the code race also runs in the main suite
// (tests/integration/codeGrant.test.ts "TK-03: 20 concurrent redemptions…",
// tests/integration/refreshToken.test.ts "five concurrent uses…"); this file
// repeats it many times and across instances. Figures: docs/reliability.md.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DEMO_POSTMAN, DEMO_USER, authorizeUrl, newPkce } from "../helpers/codeFlow";
import {
  SocketPool,
  introspectAsPostman,
  postgresRuns,
  postmanBasicHeader,
  recordFigures,
  seededStore,
  startTwoInstances,
  type RawResponse,
} from "../helpers/faults";
import { completeAuthorization, signInOverHttp } from "../helpers/portal";
import { startServer, type Backend, type RunningServer, type TestStore } from "../helpers/server";

const RACERS = 20;
const ROUNDS = 25;
const SCOPE = "openid offline_access api";

interface RaceAnswer {
  status: number;
  body: Record<string, unknown>;
}

function parseAnswer(raw: RawResponse): RaceAnswer {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw.text) as Record<string, unknown>;
  } catch {
    body = { unparsed: raw.text.slice(0, 200) };
  }
  return { status: raw.status, body };
}

/**
 * What must hold after one race, as a list of what did not: exactly one 200
 * carrying tokens, every other answer 400 with error=invalid_grant. Two
 * successes (the code redeemed twice: the check-then-write race a non-atomic
 * redemption has), none, a 5xx or any other answer are each reported; the
 * first test below feeds it such outcomes, so a regression cannot pass unseen.
 */
function judgeRace(answers: RaceAnswer[]): string[] {
  const problems: string[] = [];
  const winners = answers.filter((answer) => answer.status === 200);
  if (winners.length !== 1) problems.push(`${winners.length} successes instead of exactly 1`);
  for (const winner of winners) {
    if (typeof winner.body.access_token !== "string") problems.push(`a 200 without an access token: ${JSON.stringify(winner.body)}`);
  }
  const others = answers.filter((answer) => answer.status !== 200);
  const serverErrors = others.filter((answer) => answer.status >= 500);
  if (serverErrors.length > 0) problems.push(`${serverErrors.length} answers ≥ 500: ${serverErrors.map((answer) => answer.status).join(", ")}`);
  const unexpected = others.filter((answer) => answer.status < 500 && (answer.status !== 400 || answer.body.error !== "invalid_grant"));
  for (const answer of unexpected) problems.push(`unexpected answer ${answer.status} ${JSON.stringify(answer.body)}`);
  return problems;
}

describe("the race judge (so that the races below can fail)", () => {
  const win: RaceAnswer = { status: 200, body: { access_token: "a", token_type: "Bearer" } };
  const lose: RaceAnswer = { status: 400, body: { error: "invalid_grant", error_description: "already used" } };
  const losers = (count: number) => Array.from({ length: count }, () => lose);

  test("one winner and nineteen invalid_grant pass", () => {
    expect(judgeRace([win, ...losers(19)])).toEqual([]);
  });

  test("two winners (a double redemption), no winner, a 500 or another error are each reported", () => {
    expect(judgeRace([win, win, ...losers(18)])).toEqual(["2 successes instead of exactly 1"]);
    expect(judgeRace(losers(20))).toEqual(["0 successes instead of exactly 1"]);
    expect(judgeRace([win, { status: 500, body: {} }, ...losers(18)])).toEqual(["1 answers ≥ 500: 500"]);
    expect(judgeRace([win, { status: 400, body: { error: "invalid_request" } }, ...losers(18)])).toHaveLength(1);
    expect(judgeRace([{ status: 200, body: {} }, ...losers(19)])).toHaveLength(1);
  });
});

interface Figures {
  races: number;
  requests: number;
  successes: number;
  invalidGrant: number;
  serverErrors: number;
  revocationsChecked: number;
}

function raceSuite(label: string, backend: Backend, instanceCount: 1 | 2) {
  describe(label, () => {
    let store: TestStore;
    let servers: RunningServer[] = [];
    let pools: SocketPool[] = [];
    let alice: string;
    const figures: Record<"code" | "refresh", Figures> = {
      code: { races: 0, requests: 0, successes: 0, invalidGrant: 0, serverErrors: 0, revocationsChecked: 0 },
      refresh: { races: 0, requests: 0, successes: 0, invalidGrant: 0, serverErrors: 0, revocationsChecked: 0 },
    };

    beforeAll(async () => {
      store = await seededStore(backend);
      servers = instanceCount === 2 ? await startTwoInstances(store) : [await startServer(store)];
      // Each instance gets its share of the racers, over sockets opened before each race.
      pools = servers.map(() => new SocketPool(RACERS / instanceCount));
      const { cookie, response } = await signInOverHttp(servers[0]!.url, DEMO_USER.username, DEMO_USER.password);
      expect(response.status).toBe(303);
      alice = cookie;
    });

    afterAll(async () => {
      for (const pool of pools) pool.close();
      await Promise.all(servers.map((server) => server.stop()));
      await store?.cleanup();
      for (const kind of ["code", "refresh"] as const) {
        if (figures[kind].races > 0) recordFigures(`races/${kind}/${backend}/${instanceCount}-instance${instanceCount > 1 ? "s" : ""}`, { ...figures[kind] });
      }
    });

    /** A fresh code for postman, alice signed in on the first instance (consent given there the first time). */
    async function issueCode(): Promise<{ code: string; verifier: string }> {
      const pkce = newPkce();
      const base = servers[0]!.url;
      const url = authorizeUrl(base, { clientId: DEMO_POSTMAN.clientId, redirectUri: DEMO_POSTMAN.redirectUri, scope: SCOPE, state: randomBytes(6).toString("hex"), pkce });
      const callback = await completeAuthorization(base, alice, url);
      const code = callback.searchParams.get("code");
      if (!code) throw new Error(`no code in ${callback}`);
      return { code, verifier: pkce.verifier };
    }

    const instanceOf = (racer: number) => racer % instanceCount;

    /** Sends RACERS token requests with `form` at once, split evenly across the instances. */
    async function race(form: Record<string, string>, tally: Figures): Promise<RaceAnswer[]> {
      await Promise.all(pools.map((pool, index) => pool.warm(servers[index]!.url)));
      const raws = await Promise.all(
        Array.from({ length: RACERS }, (_, racer) =>
          pools[instanceOf(racer)]!.request(`${servers[instanceOf(racer)]!.url}/connect/token`, {
            method: "POST",
            headers: { Authorization: postmanBasicHeader() },
            form,
          }),
        ),
      );
      const answers = raws.map(parseAnswer);
      tally.races++;
      tally.requests += answers.length;
      tally.successes += answers.filter((answer) => answer.status === 200).length;
      tally.invalidGrant += answers.filter((answer) => answer.status === 400 && answer.body.error === "invalid_grant").length;
      tally.serverErrors += answers.filter((answer) => answer.status >= 500).length;
      return answers;
    }

    /** Introspected at the last instance (the other one, with two): every token given is inactive. */
    async function expectAllInactive(tokens: string[], tally: Figures, why: string) {
      const last = servers.length - 1;
      for (const token of tokens) {
        expect((await introspectAsPostman(pools[last]!, servers[last]!.url, token)).active, why).toBe(false);
        tally.revocationsChecked++;
      }
    }

    test(`TK-03 / BCP-03: ${ROUNDS} rounds of ${RACERS} concurrent redemptions of one code: exactly one 200 each time, the rest invalid_grant; the replays revoke the winner's tokens`, async () => {
      for (let round = 1; round <= ROUNDS; round++) {
        const { code, verifier } = await issueCode();
        const answers = await race(
          { grant_type: "authorization_code", code, redirect_uri: DEMO_POSTMAN.redirectUri, code_verifier: verifier },
          figures.code,
        );
        expect(judgeRace(answers), `round ${round}`).toEqual([]);
        const winner = answers.find((answer) => answer.status === 200)!.body;
        await expectAllInactive([String(winner.access_token), String(winner.refresh_token)], figures.code, `round ${round}: after the replays`);
      }
    });

    test(`RT-04 / BCP-05: ${ROUNDS} rounds of ${RACERS} concurrent uses of one refresh token: exactly one 200 each time, the rest invalid_grant; the replays revoke the grant`, async () => {
      for (let round = 1; round <= ROUNDS; round++) {
        const { code, verifier } = await issueCode();
        const exchanged = parseAnswer(
          await pools[0]!.request(`${servers[0]!.url}/connect/token`, {
            method: "POST",
            headers: { Authorization: postmanBasicHeader() },
            form: { grant_type: "authorization_code", code, redirect_uri: DEMO_POSTMAN.redirectUri, code_verifier: verifier },
          }),
        );
        expect(exchanged.status, JSON.stringify(exchanged.body)).toBe(200);
        const presented = String(exchanged.body.refresh_token);
        const answers = await race({ grant_type: "refresh_token", refresh_token: presented }, figures.refresh);
        expect(judgeRace(answers), `round ${round}`).toEqual([]);
        const winner = answers.find((answer) => answer.status === 200)!.body;
        expect(winner.refresh_token, "rotation gives a new refresh token").not.toBe(presented);
        await expectAllInactive(
          [presented, String(winner.refresh_token), String(winner.access_token), String(exchanged.body.access_token)],
          figures.refresh,
          `round ${round}: after the replays`,
        );
      }
    });
  });
}

raceSuite("embedded PGlite, one instance", "pglite", 1);

const withPostgres = await postgresRuns();
describe.runIf(withPostgres)("PostgreSQL", () => {
  raceSuite("two instances on one database, the racers split 10 / 10", "postgres", 2);
});
