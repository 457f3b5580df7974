// Two instances on one PostgreSQL database behind one issuer, as behind a
// load balancer that does not stick a browser to an instance:
// - a code flow that hops between them: authorize, sign-in and consent on A,
//   the code redeemed on B, the refresh on A, userinfo on B; and a replay of
//   the rotated refresh token on B revokes what A issued;
// - a key rotation on A (the dashboard's action, which rotates inside the
//   running process) reaches B within GATEHOUSE_KEY_REFRESH_SECONDS (2 s here
//   instead of the default 60): B lists the new keys and signs with them, and
//   tokens A signs with the new key verify at B. Since the catalog cache
//   (decision 0015) a NOTIFY reloads B's key ring at once; the periodic reload
//   this bound allows for is the fallback when B is not listening
//   (tests/integration/catalogAcrossInstances.test.ts checks the prompt path).
// The main suite has the single-instance rotation (tests/integration/keyRotation.test.ts)
// and two instances verifying each other's tokens without a rotation
// (tests/integration/database.test.ts). Figures: docs/reliability.md.
import { randomBytes } from "node:crypto";
import { decodeJwt, decodeProtectedHeader, jwtVerify, createRemoteJWKSet } from "jose";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DEMO_POSTMAN, DEMO_USER, authorizeUrl, exchangeCode, newPkce } from "../helpers/codeFlow";
import { SocketPool, introspectAsPostman, postgresRuns, recordFigures, seededStore, startTwoInstances } from "../helpers/faults";
import { API_SCOPE, JWKS_PATH, fetchKids, postmanToken, verifyAccessToken } from "../helpers/oauth";
import { completeAuthorization, signInOverHttp } from "../helpers/portal";
import { callServerAction } from "../helpers/serverActions";
import { TEST_ADMIN_PASSWORD, type RunningServer, type TestStore } from "../helpers/server";
import { refreshOutcome, userTokensForPostman, userinfoStatus } from "../helpers/userTokens";

const KEY_REFRESH_SECONDS = 2;
/** How long past GATEHOUSE_KEY_REFRESH_SECONDS a change may take to show on this shared 2-core machine before the test calls it lost. */
const SLOW_MACHINE_SLACK_MS = 10_000;
const PICKUP_LIMIT_MS = KEY_REFRESH_SECONDS * 1000 + SLOW_MACHINE_SLACK_MS;
const kidOf = (token: string) => String(decodeProtectedHeader(token).kid);

/** Polls `check` until it gives a value, for at most `limitMs`; returns the value and how long it took. */
async function within<T>(limitMs: number, what: string, check: () => Promise<T | null>): Promise<{ value: T; afterMs: number }> {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value !== null) return { value, afterMs: Date.now() - started };
    if (Date.now() - started > limitMs) throw new Error(`${what}: not seen within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const withPostgres = await postgresRuns();

describe.runIf(withPostgres)("two instances on one PostgreSQL database, one issuer", () => {
  let store: TestStore;
  let a: RunningServer;
  let b: RunningServer;
  let pool: SocketPool;
  const figures: Record<string, unknown> = {};

  beforeAll(async () => {
    store = await seededStore("postgres");
    [a, b] = await startTwoInstances(store, { GATEHOUSE_KEY_REFRESH_SECONDS: String(KEY_REFRESH_SECONDS) });
    pool = new SocketPool(4);
  });

  afterAll(async () => {
    pool?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await store?.cleanup();
    recordFigures("two-instances", figures);
  });

  test("a code flow hopping between instances: authorize, sign-in and consent on A, token on B, refresh on A, userinfo on B", async () => {
    const issuer = a.url;
    const pkce = newPkce();
    const state = randomBytes(8).toString("hex");
    const nonce = randomBytes(8).toString("hex");
    const request = authorizeUrl(a.url, {
      clientId: DEMO_POSTMAN.clientId,
      redirectUri: DEMO_POSTMAN.redirectUri,
      scope: "openid profile email offline_access api",
      state,
      pkce,
      extra: { nonce },
    });

    // A: no session yet, so the authorization endpoint sends the browser to sign in.
    const first = await fetch(request, { redirect: "manual" });
    expect(first.status).toBe(303);
    const login = new URL(first.headers.get("location")!, a.url);
    expect(login.pathname).toBe("/login");
    const { cookie, response: signedIn } = await signInOverHttp(a.url, DEMO_USER.username, DEMO_USER.password, login.search);
    expect(signedIn.status).toBe(303);
    expect(cookie).not.toBe("");
    // Back on A's authorization endpoint; alice has never consented to postman, so consent (on A) comes first.
    const resumed = await fetch(new URL(signedIn.headers.get("location")!, a.url), { redirect: "manual", headers: { cookie } });
    expect(resumed.status).toBe(303);
    const consent = new URL(resumed.headers.get("location")!, a.url);
    expect(consent.pathname).toBe("/consent");
    const callback = await completeAuthorization(a.url, cookie, consent.toString());
    expect(`${callback.origin}${callback.pathname}`).toBe(DEMO_POSTMAN.redirectUri);
    expect(callback.searchParams.get("state")).toBe(state);
    const code = callback.searchParams.get("code")!;
    expect(code).toBeTruthy();

    // B redeems the code A issued.
    const exchanged = await exchangeCode(b.url, { ...DEMO_POSTMAN, code, verifier: pkce.verifier });
    const exchangedText = await exchanged.text();
    expect(exchanged.status, exchangedText).toBe(200);
    const tokens = JSON.parse(exchangedText) as { access_token: string; refresh_token: string; id_token: string };
    const idToken = await jwtVerify(tokens.id_token, createRemoteJWKSet(new URL(a.url + JWKS_PATH)), { issuer, audience: DEMO_POSTMAN.clientId });
    expect(idToken.payload.nonce).toBe(nonce);
    const sub = idToken.payload.sub;

    // A rotates the refresh token B issued.
    const refreshed = await refreshOutcome(a.url, tokens.refresh_token);
    expect(refreshed.status, refreshed.error).toBe(200);
    expect(refreshed.tokens.refresh_token).toBeTruthy();
    expect(refreshed.tokens.refresh_token).not.toBe(tokens.refresh_token);

    // B serves userinfo for the access token A issued.
    const userinfo = await fetch(`${b.url}/connect/userinfo`, { headers: { Authorization: `Bearer ${refreshed.tokens.access_token}` } });
    const claims = (await userinfo.json()) as Record<string, unknown>;
    expect(userinfo.status, JSON.stringify(claims)).toBe(200);
    expect(claims).toMatchObject({ sub, email: DEMO_USER.email });
    expect(decodeJwt(refreshed.tokens.access_token!).sub).toBe(sub);

    // RT-04 across instances: the old refresh token replayed on B is refused and revokes the grant, which A then honours.
    const replay = await refreshOutcome(b.url, tokens.refresh_token);
    expect(replay).toMatchObject({ status: 400, error: "invalid_grant" });
    expect(await userinfoStatus(a.url, refreshed.tokens.access_token!)).toBe(401);
    expect((await refreshOutcome(a.url, refreshed.tokens.refresh_token!)).error).toBe("invalid_grant");
    figures.hop = { steps: ["authorize@A", "sign-in@A", "consent@A", "token@B", "refresh@A", "userinfo@B", "replay@B", "revoked@A"] };
  });

  describe(`key rotation on A, seen by B (GATEHOUSE_KEY_REFRESH_SECONDS=${KEY_REFRESH_SECONDS})`, () => {
    let admin: string;
    let alice: string;

    beforeAll(async () => {
      const signedIn = await signInOverHttp(a.url, "admin", TEST_ADMIN_PASSWORD);
      expect(signedIn.response.status).toBe(303);
      admin = signedIn.cookie;
      const aliceIn = await signInOverHttp(a.url, DEMO_USER.username, DEMO_USER.password);
      expect(aliceIn.response.status).toBe(303);
      alice = aliceIn.cookie;
    });

    /** Rotates both algorithms through the dashboard's action on A; returns the new kids. A signs with them at once. */
    async function rotateOnA(): Promise<string[]> {
      const call = await callServerAction(a.url, {
        page: "/dashboard/keys",
        filename: "app/dashboard/keys/actions.ts",
        exportedName: "rotateSigningKeysAction",
        input: { alg: "all" },
        cookie: admin,
      });
      const result = call.result as { ok: boolean; data?: { created: string[] } };
      expect(result.ok, JSON.stringify(result)).toBe(true);
      const created = result.data!.created;
      expect(created).toHaveLength(2);
      expect(created).toContain(kidOf((await postmanToken(a.url)).access_token));
      return created;
    }

    test("DISC-06: B lists A's new keys and signs with them within the refresh interval; the old keys stay listed and old tokens stay valid on both", async () => {
      const oldKids = await fetchKids(b.url);
      expect(await fetchKids(a.url)).toEqual(oldKids);
      const oldToken = (await postmanToken(b.url)).access_token;

      const newKids = await rotateOnA();
      // Nothing signed with the new keys is shown to B before these two checks: only B's periodic reload can pass them.
      const listed = await within(PICKUP_LIMIT_MS, "B's JWKS listing A's new kids", async () => {
        const kids = await fetchKids(b.url);
        return newKids.every((kid) => kids.includes(kid)) ? kids : null;
      });
      expect(listed.value).toEqual([...oldKids, ...newKids].sort());
      const signing = await within(PICKUP_LIMIT_MS, "B signing with a new kid", async () => {
        const kid = kidOf((await postmanToken(b.url)).access_token);
        return newKids.includes(kid) ? kid : null;
      });

      for (const server of [a, b]) {
        const { payload } = await verifyAccessToken(oldToken, server.url + JWKS_PATH, { issuer: a.url, audience: API_SCOPE.resource });
        expect(oldKids).toContain(kidOf(oldToken));
        expect(payload.client_id).toBe("postman");
        expect((await introspectAsPostman(pool, server.url, oldToken)).active).toBe(true);
      }
      figures.rotationPickup = { refreshSeconds: KEY_REFRESH_SECONDS, jwksListedAfterMs: listed.afterMs, signingAfterMs: listed.afterMs + signing.afterMs };
    });

    test("tokens A signs with a key it has just created verify at B at once: introspection, userinfo, and B's JWKS", async () => {
      const tokens = await userTokensForPostman(a.url, alice);
      const newKids = await rotateOnA();
      const machineToken = (await postmanToken(a.url)).access_token;
      const refreshed = await refreshOutcome(a.url, tokens.refresh_token);
      expect(refreshed.status).toBe(200);
      const userToken = refreshed.tokens.access_token!;
      expect(newKids).toContain(kidOf(machineToken));
      expect(newKids).toContain(kidOf(userToken));

      // B has not reloaded its keys yet (at most KEY_REFRESH_SECONDS ago); an unknown kid makes it look once.
      const verified = await within(PICKUP_LIMIT_MS, "B verifying a token signed with A's new key", async () =>
        (await introspectAsPostman(pool, b.url, machineToken)).active ? true : null,
      );
      expect(await userinfoStatus(b.url, userToken)).toBe(200);
      const { payload } = await verifyAccessToken(machineToken, b.url + JWKS_PATH, { issuer: a.url, audience: API_SCOPE.resource });
      expect(payload.sub).toBe("postman");
      figures.newKeyVerifiedAtB = { afterMs: verified.afterMs };
    });
  });
});
