// The server's log over a whole session of real requests against the built server (issue #13 item 3,
// docs/decisions/0019-logs-and-metrics.md): a failed and a successful sign-in with a password, the code flow
// of a confidential client with PKCE, a refresh, an introspection, a revocation and a client_credentials
// grant. Then, with the log captured at trace level: no secret used or issued in that session appears in it
// anywhere; every request got exactly one line with its fields; X-Request-Id was echoed or generated; and
// the audit rows carry the request id of the request that recorded them.
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DEMO_POSTMAN, DEMO_USER, authorizeUrl, exchangeCode, newPkce } from "../helpers/codeFlow";
import { POSTMAN, TOKEN_PATH, postForm, postmanBasic } from "../helpers/oauth";
import { completeAuthorization, signInOverHttp } from "../helpers/portal";
import { queryStore } from "../helpers/processes";
import { startSeededServer } from "../helpers/server";
import { isActiveAtIntrospection, refreshOutcome } from "../helpers/userTokens";

interface SentRequest {
  method: string;
  url: URL;
  status: number;
  requestId: string | null;
}

interface LogLine {
  level: string;
  time: string;
  msg: string;
  request_id?: string;
  method?: string;
  route?: string;
  status?: number;
  duration_ms?: number;
  client_id?: string;
  user_id?: string;
}

const WRONG_PASSWORD = "not-alices-password-5d1c";
const ECHOED_ID = `itest-${Date.now().toString(36)}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let suite: Awaited<ReturnType<typeof startSeededServer>>;
let output: string;
let lines: LogLine[];
let auditRows: { kind: string; client_id: string | null; request_id: string | null }[];
const sent: SentRequest[] = [];
/** Every secret the session used or was given. */
const secrets = new Map<string, string>();
let aliceId: string;
const ids = { signIn: "", exchange: "", refresh: "", revoke: "", clientCredentials: "", refusedId: "" };

/** fetch, recording each request to the server under test and the X-Request-Id it was answered with. */
const realFetch = globalThis.fetch;
function recordingFetch(base: string): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const response = await realFetch(input, init);
    if (request.url.startsWith(base)) sent.push({ method: request.method, url: new URL(request.url), status: response.status, requestId: response.headers.get("x-request-id") });
    return response;
  };
}

const lastSent = (path: string, method = "POST") => sent.filter((entry) => entry.url.pathname === path && entry.method === method).at(-1)!;

/** A Cookie header's values (name=value; …). */
function cookieValues(header: string): string[] {
  return header
    .split(";")
    .map((pair) => pair.slice(pair.indexOf("=") + 1).trim())
    .filter(Boolean);
}

beforeAll(async () => {
  suite = await startSeededServer({ GATEHOUSE_LOG_LEVEL: "trace" });
  const base = suite.server.url;
  globalThis.fetch = recordingFetch(base);
  try {
    secrets.set("client secret", POSTMAN.secret);
    secrets.set("password", DEMO_USER.password);
    secrets.set("wrong password", WRONG_PASSWORD);

    const refused = await signInOverHttp(base, DEMO_USER.username, WRONG_PASSWORD);
    expect(refused.cookie).toBe("");
    const { cookie, response: signedIn } = await signInOverHttp(base, DEMO_USER.username, DEMO_USER.password);
    expect(signedIn.status).toBe(303);
    ids.signIn = signedIn.headers.get("x-request-id")!;
    for (const [index, value] of cookieValues(cookie).entries()) secrets.set(`cookie ${index}`, value);

    // The code flow of the confidential client (client_secret_basic), PKCE, consent on the consent page.
    const pkce = newPkce();
    secrets.set("code_verifier", pkce.verifier);
    const url = authorizeUrl(base, { clientId: DEMO_POSTMAN.clientId, redirectUri: DEMO_POSTMAN.redirectUri, scope: "openid offline_access api", state: "logs", pkce });
    const callback = await completeAuthorization(base, cookie, url);
    const code = callback.searchParams.get("code")!;
    expect(code).toBeTruthy();
    secrets.set("code", code);
    const exchanged = await exchangeCode(base, { ...DEMO_POSTMAN, code, verifier: pkce.verifier });
    expect(exchanged.status).toBe(200);
    ids.exchange = exchanged.headers.get("x-request-id")!;
    const tokens = (await exchanged.json()) as { access_token: string; refresh_token: string; id_token: string };
    secrets.set("access token", tokens.access_token);
    secrets.set("refresh token", tokens.refresh_token);
    secrets.set("id token", tokens.id_token);
    aliceId = decodeJwt(tokens.access_token).sub!;

    const refreshed = await refreshOutcome(base, tokens.refresh_token);
    expect(refreshed.status).toBe(200);
    ids.refresh = lastSent(TOKEN_PATH).requestId!;
    secrets.set("refreshed access token", refreshed.tokens.access_token!);
    secrets.set("rotated refresh token", refreshed.tokens.refresh_token!);

    expect(await isActiveAtIntrospection(base, refreshed.tokens.access_token!)).toBe(true);
    const revoked = await postForm(`${base}/connect/revoke`, { headers: { Authorization: postmanBasic() }, body: { token: refreshed.tokens.refresh_token! } });
    expect(revoked.status).toBe(200);
    ids.revoke = revoked.headers.get("x-request-id")!;

    // client_credentials with a request id of the caller's, then a refusal carrying one that is not acceptable.
    const clientCredentials = await postForm(base + TOKEN_PATH, { headers: { Authorization: postmanBasic(), "X-Request-Id": ECHOED_ID }, body: { grant_type: "client_credentials", scope: "api" } });
    expect(clientCredentials.status).toBe(200);
    ids.clientCredentials = clientCredentials.headers.get("x-request-id")!;
    secrets.set("client_credentials access token", ((await clientCredentials.json()) as { access_token: string }).access_token);
    const refusal = await postForm(base + TOKEN_PATH, { headers: { "X-Request-Id": `bad id\u00e9${ECHOED_ID}` }, body: { grant_type: "client_credentials", client_id: "postman", client_secret: "wrong-secret-e41b" } });
    expect(refusal.status).toBe(401);
    ids.refusedId = refusal.headers.get("x-request-id")!;
    secrets.set("wrong client secret", "wrong-secret-e41b");
  } finally {
    globalThis.fetch = realFetch;
  }

  // Stopping flushes the log's buffer and the audit writer; PGlite has one opener, so read the store after.
  await suite.server.stop();
  output = suite.server.output();
  lines = output
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as LogLine);
  auditRows = await queryStore(suite.store, `SELECT "kind", "client_id", "request_id" FROM "audit_events" ORDER BY "at", "id"`);
}, 180_000);

afterAll(async () => {
  await suite?.stop();
});

describe("the server's log after a full session", () => {
  test("holds no secret used or issued: client secrets, passwords, code, code_verifier, tokens, cookies", () => {
    expect(secrets.size).toBeGreaterThanOrEqual(13);
    for (const [name, value] of secrets) {
      expect(value.length, name).toBeGreaterThan(8);
      expect(output.includes(value), `${name} appears in the log`).toBe(false);
      expect(output.includes(encodeURIComponent(value)), `${name} (URL-encoded) appears in the log`).toBe(false);
    }
  });

  test("holds no query string of any request (the authorization request, the sign-in and consent pages' parameters)", () => {
    const queries = sent.map((entry) => entry.url.search.slice(1)).filter((query) => query.length > 0);
    expect(queries.length).toBeGreaterThan(2);
    for (const query of queries) expect(output).not.toContain(query);
  });

  test("is JSON lines (stdout is no terminal) with the level and an ISO time", () => {
    expect(lines.length).toBeGreaterThan(sent.length - 1);
    for (const line of lines) {
      expect(new Date(line.time).toISOString()).toBe(line.time);
      expect(["trace", "debug", "info", "warn", "error", "fatal"]).toContain(line.level);
    }
  });

  test("has exactly one line per request, with its id, method, route (no query), status and duration", () => {
    const requestLines = lines.filter((line) => line.msg === "request");
    const sentIds = new Set(sent.map((entry) => entry.requestId));
    // Besides ours, only the helper's readiness probes, made before the recording started.
    const others = requestLines.filter((line) => !sentIds.has(line.request_id!));
    expect(others.length).toBeGreaterThan(0);
    for (const line of others) expect(line).toMatchObject({ method: "GET", route: "/.well-known/openid-configuration", status: 200 });
    expect(requestLines).toHaveLength(sent.length + others.length);
    for (const entry of sent) {
      const matching = requestLines.filter((line) => line.request_id === entry.requestId);
      expect(matching, `${entry.method} ${entry.url.pathname}`).toHaveLength(1);
      expect(matching[0]).toMatchObject({ level: "info", method: entry.method, route: entry.url.pathname, status: entry.status });
      expect(matching[0]!.duration_ms).toBeGreaterThanOrEqual(0);
    }
  });

  test("names the client and the user where known", () => {
    const line = (id: string) => lines.find((candidate) => candidate.msg === "request" && candidate.request_id === id)!;
    expect(line(ids.signIn)).toMatchObject({ user_id: aliceId });
    expect(line(ids.exchange)).toMatchObject({ client_id: "postman", user_id: aliceId });
    expect(line(ids.refresh)).toMatchObject({ client_id: "postman", user_id: aliceId });
    expect(line(lastSent("/connect/introspect").requestId!)).toMatchObject({ client_id: "postman" });
    expect(line(ids.revoke)).toMatchObject({ client_id: "postman" });
    expect(line(ids.clientCredentials)).toMatchObject({ client_id: "postman" });
    expect(line(ids.clientCredentials).user_id).toBeUndefined();
  });

  test("X-Request-Id is on every response: the caller's when acceptable, else a generated UUID", () => {
    expect(ids.clientCredentials).toBe(ECHOED_ID);
    expect(ids.refusedId).toMatch(UUID);
    for (const entry of sent.filter((candidate) => candidate.requestId !== ECHOED_ID)) expect(entry.requestId, entry.url.pathname).toMatch(UUID);
    expect(new Set(sent.map((entry) => entry.requestId)).size).toBe(sent.length);
  });
});

describe("audit rows carry the request id", () => {
  const rowsOf = (requestId: string) => auditRows.filter((row) => row.request_id === requestId).map((row) => row.kind);

  test("of the sign-in, the code exchange, the refresh, the revocation and the client_credentials grant", () => {
    expect(rowsOf(ids.signIn)).toEqual(["signin.succeeded"]);
    expect(rowsOf(ids.exchange)).toEqual(["token.issued"]);
    expect(rowsOf(ids.refresh)).toEqual(["token.issued"]);
    expect(rowsOf(ids.revoke)).toEqual(["token.revoked"]);
    expect(rowsOf(ECHOED_ID)).toEqual(["token.issued"]);
    expect(rowsOf(ids.refusedId)).toEqual(["token.refused"]);
  });

  test("of the failed sign-in and the consent given on the consent page (a server action through Next.js)", () => {
    const failed = auditRows.find((row) => row.kind === "signin.failed")!;
    const consent = auditRows.find((row) => row.kind === "consent.granted")!;
    const sentIds = new Set(sent.map((entry) => entry.requestId));
    expect(sentIds.has(failed.request_id)).toBe(true);
    expect(sentIds.has(consent.request_id)).toBe(true);
    expect(sent.find((entry) => entry.requestId === consent.request_id)).toMatchObject({ method: "POST", url: expect.objectContaining({ pathname: "/consent" }) });
  });
});
