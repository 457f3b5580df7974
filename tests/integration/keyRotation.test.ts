// `keys:rotate` (issue #4 item 6) against the built server and CLI: DISC-06
// (the new key appears, the old one stays listed), new tokens carry the new
// kid, and tokens signed before the rotation keep working. PostgreSQL rotates
// with the server running (GATEHOUSE_KEY_REFRESH_SECONDS=1 instead of waiting
// 60 s); the embedded database needs the server stopped (one opener).
import { decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createSeededStore, createTestStore, startSeededServer, startServer, testBackend, type RunningServer, type TestStore } from "../helpers/server";
import { queryStore, runCliProcess } from "../helpers/processes";
import { API_SCOPE, fetchKids, JWKS_PATH, postForm, postmanBasic, postmanToken, verifyAccessToken } from "../helpers/oauth";

const backend = testBackend();
const FAST_REFRESH = { GATEHOUSE_KEY_REFRESH_SECONDS: "1" };
const CLOCK_SKEW_SECONDS = 60;

interface KeyRow extends Record<string, unknown> {
  kid: string;
  alg: string;
  status: string;
  retire_after: Date | null;
}

const keyRows = (store: TestStore) =>
  queryStore<KeyRow>(store, `SELECT "kid", "alg", "status", "retire_after" FROM "signing_keys" ORDER BY "created_at"`);

async function longestLifetime(store: TestStore): Promise<number> {
  const [row] = await queryStore<{ access: number | null; id: number | null }>(
    store,
    `SELECT max("access_token_lifetime") AS "access", max("id_token_lifetime") AS "id" FROM "applications"`,
  );
  return Math.max(3600, 3600, Number(row?.access ?? 0), Number(row?.id ?? 0));
}

async function introspect(baseUrl: string, token: string): Promise<Record<string, unknown>> {
  const response = await postForm(`${baseUrl}/connect/introspect`, { headers: { Authorization: postmanBasic() }, body: { token } });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return JSON.parse(text) as Record<string, unknown>;
}

const kidOf = (token: string) => String(decodeProtectedHeader(token).kid);

/** Runs keys:rotate and checks the rows: one new active key per algorithm, the previous ones retiring until retire_after. */
async function rotate(store: TestStore, oldKids: string[]) {
  const lifetime = await longestLifetime(store);
  const started = Date.now();
  const result = await runCliProcess(store, ["keys:rotate"], FAST_REFRESH);
  const finished = Date.now();
  expect(result.code, result.output).toBe(0);
  expect(result.stdout).toMatch(/new active RS256 key/);
  expect(result.stdout).toMatch(/new active ES256 key/);

  const rows = await keyRows(store);
  const active = rows.filter((row) => row.status === "active");
  expect(active.map((row) => row.alg).sort()).toEqual(["ES256", "RS256"]);
  for (const row of active) expect(oldKids).not.toContain(row.kid);
  const retiring = rows.filter((row) => row.status === "retiring");
  expect(retiring.map((row) => row.kid).sort()).toEqual([...oldKids].sort());
  const margin = (lifetime + 1 + CLOCK_SKEW_SECONDS) * 1000;
  for (const row of retiring) {
    const at = new Date(row.retire_after!).getTime();
    expect(at).toBeGreaterThanOrEqual(started + margin - 1000);
    expect(at).toBeLessThanOrEqual(finished + margin + 1000);
  }
  return { newKids: active.map((row) => row.kid).sort(), output: result.stdout };
}

/** After a rotation: DISC-06, new tokens carry a new kid, the old token verifies and is still active. */
async function expectRotated(baseUrl: string, oldKids: string[], newKids: string[], oldToken: string, oldJwksTag?: string | null) {
  await expect.poll(async () => kidOf((await postmanToken(baseUrl)).access_token), { timeout: 15_000, interval: 250 }).toSatisfy(
    (kid: string) => newKids.includes(kid),
  );
  const kids = await fetchKids(baseUrl);
  expect(kids).toEqual([...oldKids, ...newKids].sort());
  expect(new Set(kids).size).toBe(4); // DISC-03
  // The JWKS document was rebuilt: a client holding the old one revalidates and gets the new keys.
  if (oldJwksTag) {
    const revalidated = await fetch(baseUrl + JWKS_PATH, { headers: { "If-None-Match": oldJwksTag } });
    expect(revalidated.status).toBe(200);
    expect(revalidated.headers.get("etag")).not.toBe(oldJwksTag);
    expect(((await revalidated.json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid).sort()).toEqual(kids);
  }

  const fresh = await postmanToken(baseUrl);
  expect(newKids).toContain(kidOf(fresh.access_token));
  await verifyAccessToken(fresh.access_token, baseUrl + JWKS_PATH, { audience: API_SCOPE.resource });

  expect(oldKids).toContain(kidOf(oldToken));
  await verifyAccessToken(oldToken, baseUrl + JWKS_PATH, { audience: API_SCOPE.resource });
  expect(await introspect(baseUrl, oldToken)).toMatchObject({ active: true, client_id: "postman" });
  expect(await introspect(baseUrl, fresh.access_token)).toMatchObject({ active: true, client_id: "postman" });
}

// The CLI checks its arguments before it opens the store: the same on both backends, so run once.
test.runIf(backend === "postgres")("keys:rotate refuses an unknown --alg with a usage message", async () => {
  const store = await createTestStore();
  try {
    const result = await runCliProcess(store, ["keys:rotate", "--alg", "HS256"]);
    expect(result.code, result.output).toBe(2);
    expect(result.stderr).toContain("--alg must be RS256 or ES256");
  } finally {
    await store.cleanup();
  }
});

describe.runIf(backend === "postgres")("PostgreSQL: keys:rotate while a server runs", () => {
  let primary: Awaited<ReturnType<typeof startSeededServer>>;
  beforeAll(async () => {
    primary = await startSeededServer(FAST_REFRESH);
  });
  afterAll(async () => {
    await primary?.stop();
  });

  test("DISC-06: the server picks up the new keys; the old kids stay listed and old tokens keep working", async () => {
    const { url } = primary.server;
    const oldKids = await fetchKids(url);
    expect(oldKids).toHaveLength(2);
    const old = await postmanToken(url);
    const oldJwksTag = (await fetch(url + JWKS_PATH)).headers.get("etag");
    const { newKids } = await rotate(primary.store, oldKids);
    await expectRotated(url, oldKids, newKids, old.access_token, oldJwksTag);
  });

  test("--alg ES256 rotates only ES256; two rotations at once still leave exactly one active key per algorithm", async () => {
    const before = await keyRows(primary.store);
    const activeRs = before.find((row) => row.status === "active" && row.alg === "RS256")!.kid;
    const single = await runCliProcess(primary.store, ["keys:rotate", "--alg", "ES256"], FAST_REFRESH);
    expect(single.code, single.output).toBe(0);
    expect(single.stdout).not.toMatch(/RS256/);
    let rows = await keyRows(primary.store);
    expect(rows.find((row) => row.kid === activeRs)!.status).toBe("active");

    const [a, b] = await Promise.all([
      runCliProcess(primary.store, ["keys:rotate"], FAST_REFRESH),
      runCliProcess(primary.store, ["keys:rotate"], FAST_REFRESH),
    ]);
    expect(a.code, a.output).toBe(0);
    expect(b.code, b.output).toBe(0);
    rows = await keyRows(primary.store);
    expect(rows.filter((row) => row.status === "active").map((row) => row.alg).sort()).toEqual(["ES256", "RS256"]);
    expect(new Set(rows.map((row) => row.kid)).size).toBe(rows.length);
    await postmanToken(primary.server.url);
  });
});

describe.runIf(backend === "pglite")("PGlite: stop the server, keys:rotate, start again", () => {
  let store: TestStore;
  let server: RunningServer | undefined;
  beforeAll(async () => {
    // A copy of the session's seeded template (its keys included); without one the first start seeds it.
    store = await createSeededStore();
  });
  afterAll(async () => {
    await server?.stop();
    await store?.cleanup();
  });

  test("keys:rotate refuses while the server holds the data directory, and says to stop it", async () => {
    server = await startServer(store, FAST_REFRESH);
    const result = await runCliProcess(store, ["keys:rotate"]);
    expect(result.code, result.output).not.toBe(0);
    expect(result.stderr).toContain("already in use");
    expect(result.stderr).toContain(`process ${server.process.pid}`);
    expect(result.stderr).toMatch(/stop the server, run keys:rotate, start the server again/);
    await postmanToken(server.url); // the server is unaffected
  });

  test("DISC-06: after the restart the new keys sign; the old kids stay listed and old tokens keep working", async () => {
    server ??= await startServer(store, FAST_REFRESH);
    const oldKids = await fetchKids(server.url);
    expect(oldKids).toHaveLength(2);
    const old = await postmanToken(server.url);
    const oldJwksTag = (await fetch(server.url + JWKS_PATH)).headers.get("etag");
    // The restarted server listens on another port but keeps the issuer (so the old token's iss still matches).
    const issuer = server.url;
    await server.stop();
    server = undefined;

    const { newKids } = await rotate(store, oldKids);
    server = await startServer(store, { ...FAST_REFRESH, GATEHOUSE_ISSUER: issuer });
    await expectRotated(server.url, oldKids, newKids, old.access_token, oldJwksTag);
  }, 60_000);
});
