// The audit log over real HTTP against the built server: what the token,
// consent and revocation paths leave in audit_events (read back with
// queryStore once the server has stopped, which flushes the audit writer and
// also works on PGlite; `npm test` runs it on PostgreSQL, where that read needs
// no in-process PGlite: tests/helpers/integrationBackends.ts).
// CONFORMANCE.md CC-01, CA-02, TK-01, RV-01, BCP-03 for the protocol side.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { decodeJwt } from "jose";
import { DEMO_SPA, DEMO_USER, authorizeUrl, exchangeCode, newPkce } from "../helpers/codeFlow";
import { POSTMAN, TOKEN_PATH, basicAuthorization, postForm, postmanBasic, postmanToken } from "../helpers/oauth";
import { completeAuthorization, signInOverHttp } from "../helpers/portal";
import { queryStore } from "../helpers/processes";
import { startSeededServer } from "../helpers/server";

interface AuditRow {
  kind: string;
  actor: string | null;
  user_id: string | null;
  client_id: string | null;
  ip: string | null;
  reason: string | null;
  details: Record<string, unknown> | null;
}

const WRONG_SECRET = "not-the-postman-secret-1234";
const FORM = "application/x-www-form-urlencoded";
let suite: Awaited<ReturnType<typeof startSeededServer>>;
let rows: AuditRow[];
/** Values that must never reach the log. */
const secrets: string[] = [POSTMAN.secret, WRONG_SECRET];
let clientToken: { jti: string; value: string };
let userToken: { jti: string; sub: string };

const byKind = (kind: string) => rows.filter((row) => row.kind === kind);

beforeAll(async () => {
  suite = await startSeededServer();
  const base = suite.server.url;

  // client_credentials: one success, two refusals (a wrong secret; an unknown client).
  const issued = await postmanToken(base);
  clientToken = { jti: decodeJwt(issued.access_token).jti!, value: issued.access_token };
  const wrongSecret = await postForm(base + TOKEN_PATH, {
    headers: { Authorization: basicAuthorization(POSTMAN.clientId, WRONG_SECRET) },
    body: { grant_type: "client_credentials", scope: "api" },
  });
  expect(wrongSecret.status).toBe(401);
  const unknown = await postForm(base + TOKEN_PATH, { body: { grant_type: "client_credentials", client_id: "no-such-client", client_secret: WRONG_SECRET } });
  expect(unknown.status).toBe(401);

  // A NUL byte in a refused request must not cost the requests stored with it their tokens.
  const mixed = await Promise.all([
    ...Array.from({ length: 5 }, () => postForm(base + TOKEN_PATH, { headers: { Authorization: postmanBasic(), "Content-Type": FORM }, body: "grant_type=client%00credentials" })),
    ...Array.from({ length: 5 }, () => postmanToken(base).then(() => 200)),
  ]);
  expect(mixed.map((answer) => (typeof answer === "number" ? answer : answer.status))).toEqual([400, 400, 400, 400, 400, 200, 200, 200, 200, 200]);

  // The code flow: alice consents on the consent page, the SPA redeems the code.
  const { cookie } = await signInOverHttp(base, DEMO_USER.username, DEMO_USER.password);
  const pkce = newPkce();
  const callback = await completeAuthorization(base, cookie, authorizeUrl(base, { clientId: DEMO_SPA.clientId, redirectUri: DEMO_SPA.redirectUri, scope: "openid api", state: "s1", pkce }));
  const code = callback.searchParams.get("code")!;
  const redeemed = await exchangeCode(base, { clientId: DEMO_SPA.clientId, code, verifier: pkce.verifier, redirectUri: DEMO_SPA.redirectUri });
  expect(redeemed.status).toBe(200);
  const tokens = (await redeemed.json()) as { access_token: string; id_token: string };
  const claims = decodeJwt(tokens.access_token);
  userToken = { jti: claims.jti!, sub: claims.sub! };
  secrets.push(code, pkce.verifier, tokens.access_token, tokens.id_token, issued.access_token);
  // The replay revokes the grant (BCP-03).
  const replay = await exchangeCode(base, { clientId: DEMO_SPA.clientId, code, verifier: pkce.verifier, redirectUri: DEMO_SPA.redirectUri });
  expect(replay.status).toBe(400);

  // postman revokes its own token.
  const revoked = await postForm(`${base}/connect/revoke`, { headers: { Authorization: postmanBasic() }, body: { token: issued.access_token } });
  expect(revoked.status).toBe(200);

  // PGlite has one opener: read the store once the server is gone.
  await suite.server.stop();
  rows = await queryStore<AuditRow & Record<string, unknown>>(
    suite.store,
    `SELECT "kind", "actor", "user_id", "client_id", "ip", "reason", "details" FROM "audit_events" ORDER BY "at", "id"`,
  );
}, 120_000);

afterAll(async () => {
  await suite?.stop();
});

describe("audit_events after real requests", () => {
  test("CC-01 a client_credentials success is one token.issued row: client, no user, address, grant, scopes, tokens, jti", () => {
    const row = byKind("token.issued").find((candidate) => candidate.details?.jti === clientToken.jti);
    expect(row).toEqual({
      kind: "token.issued",
      actor: null,
      user_id: null,
      client_id: "postman",
      ip: "127.0.0.1",
      reason: null,
      details: { grant_type: "client_credentials", scopes: ["api"], tokens: ["access_token"], jti: clientToken.jti },
    });
  });

  test("CA-02 a wrong secret is token.refused with reason invalid_client and the client_id presented", () => {
    const refusals = byKind("token.refused").filter((row) => row.reason === "invalid_client");
    expect(refusals.map((row) => row.client_id).sort()).toEqual(["no-such-client", "postman"]);
    for (const row of refusals) {
      expect(row.ip).toBe("127.0.0.1");
      expect(row.details).toMatchObject({ grant_type: "client_credentials", description: expect.stringContaining("Client authentication failed") });
    }
  });

  test("a grant type with a NUL byte is stored (the byte replaced), and its batch-mates got their tokens", () => {
    const nul = byKind("token.refused").filter((row) => row.reason === "unsupported_grant_type");
    expect(nul).toHaveLength(5);
    for (const row of nul) expect(row.details!.grant_type).toBe("client\uFFFDcredentials");
    // The first client_credentials success and the five sent alongside the NUL requests.
    expect(byKind("token.issued").filter((row) => row.client_id === "postman")).toHaveLength(6);
  });

  test("TK-01 the consent page and the code redemption: consent.granted by alice, token.issued for alice", () => {
    expect(byKind("consent.granted")).toEqual([
      expect.objectContaining({ actor: userToken.sub, user_id: userToken.sub, client_id: "spa", details: { scopes: ["openid", "api"], remembered: true } }),
    ]);
    const issued = byKind("token.issued").find((row) => row.details?.jti === userToken.jti);
    expect(issued).toMatchObject({
      user_id: userToken.sub,
      client_id: "spa",
      details: { grant_type: "authorization_code", scopes: ["openid", "api"], tokens: ["access_token", "id_token"] },
    });
  });

  test("BCP-03 the replayed code is token.reuse_detected (with the grant) and token.refused invalid_grant", () => {
    expect(byKind("token.reuse_detected")).toEqual([
      expect.objectContaining({ user_id: userToken.sub, client_id: "spa", reason: "authorization_code_reused", details: expect.objectContaining({ token: "authorization_code" }) }),
    ]);
    expect(byKind("token.refused").filter((row) => row.client_id === "spa").map((row) => row.reason)).toEqual(["invalid_grant"]);
  });

  test("RV-01 postman revoking its own token is token.revoked with the jti", () => {
    expect(byKind("token.revoked")).toEqual([
      expect.objectContaining({ client_id: "postman", user_id: null, details: { token: "access_token", scope: "token", revoked: 1, jti: clientToken.jti } }),
    ]);
  });

  test("no secret, code, verifier or token value is anywhere in the log", () => {
    const text = JSON.stringify(rows);
    for (const secret of secrets) expect(text).not.toContain(secret);
  });
});
