// What the token and revocation endpoints write to the audit log (lib/oauth/audit.ts):
// token.issued for every success, token.refused (reason = the OAuth error code)
// for every refusal, token.reuse_detected when a replay revokes a grant,
// token.revoked when a client revokes its own token — and never a secret.
import { decodeJwt } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { KeyEncryption } from "@/lib/oauth/keyEncryption";
import type { AuditEventInput } from "@/lib/oauth/ports";
import { createRevocationEndpoint } from "@/lib/oauth/revoke";
import { hashOpaqueValue } from "@/lib/oauth/secrets";
import { ensureSigningKeys, KeyRing } from "@/lib/oauth/signingKeys";
import { createTokenEndpoint } from "@/lib/oauth/token";
import {
  CODE_FLOW,
  InMemoryAuditLog,
  InMemoryClientStore,
  InMemoryRefreshTokenStore,
  InMemorySigningKeyStore,
  InMemoryTokenStore,
  PKCE,
  TEST_ADDRESS_HEADER,
  TEST_SECRET,
  WEB_CALLBACK,
  WEB_SECRET,
  basicHeader,
  clientFormRequest,
  codeFrom,
  codeRequestParams,
  createAuthorizeFixture,
  createTokenFixture,
  makeClient,
  makeUser,
  testClientAddress,
  tokenRequest,
  tokenEndpointFor,
} from "./fakes";

const SERVICE_SECRET = "service-secret-0123456789";
const ADDRESS = "203.0.113.7";
let keys: KeyRing;

beforeAll(async () => {
  const keyStore = new InMemorySigningKeyStore();
  const encryption = new KeyEncryption(TEST_SECRET);
  await ensureSigningKeys(keyStore, encryption);
  keys = new KeyRing(keyStore, encryption);
});

/** The authorization endpoint, the token endpoint and one audit log over the same stores and clock. */
function setup() {
  const service = makeClient({ clientId: "service", secret: SERVICE_SECRET, permissions: ["ept:token", "gt:client_credentials", "scp:orders:read"] });
  const fx = createAuthorizeFixture({ extraClients: [service] });
  const refreshTokens = new InMemoryRefreshTokenStore(fx.codes);
  const tokens = new InMemoryTokenStore({ codes: fx.codes, refreshTokens });
  const token = tokenEndpointFor(fx, keys, { tokens, refreshTokens, clientAddress: testClientAddress, log: () => undefined });
  fx.signIn();
  /** A token request from ADDRESS. */
  const post = (body: Record<string, string>, basic?: [string, string]) =>
    token(tokenRequest(body, { basic, headers: { [TEST_ADDRESS_HEADER]: ADDRESS } }));
  return { ...fx, tokens, refreshTokens, token, post };
}

type Setup = ReturnType<typeof setup>;

const ccFor = (scope = "orders:read") => ({ grant_type: "client_credentials", scope });

/** A code for web-app (confidential, explicit consent already on record), with offline_access. */
async function webCode(s: Setup, scope = "openid profile offline_access"): Promise<string> {
  const row = await s.clientRow("web-app");
  await s.authorizations.savePermanentAuthorization(s.user.id, row.id, scope.split(" "));
  return codeFrom(await s.get(codeRequestParams("web-app", WEB_CALLBACK, { scope })));
}

const redeem = (s: Setup, code: string) =>
  s.post({ grant_type: "authorization_code", code, redirect_uri: WEB_CALLBACK, code_verifier: PKCE.verifier }, ["web-app", WEB_SECRET]);

const refresh = (s: Setup, refreshToken: string) => s.post({ grant_type: "refresh_token", refresh_token: refreshToken }, ["web-app", WEB_SECRET]);

async function json(response: Response): Promise<Record<string, string>> {
  return (await response.json()) as Record<string, string>;
}

/** The one event of `kind`: fails when there is none or more than one. */
function only(s: Pick<Setup, "audit">, kind: string): AuditEventInput {
  const events = s.audit.ofKind(kind);
  expect(events, `${kind} events`).toHaveLength(1);
  return events[0]!;
}

describe("token.issued", () => {
  it("CC-01 a client_credentials token: the client, no user, the address, grant type, scopes, which tokens and the jti", async () => {
    const s = setup();
    const body = await json(await s.post(ccFor(), ["service", SERVICE_SECRET]));
    expect(body.access_token).toBeDefined();
    expect(only(s, "token.issued")).toEqual({
      kind: "token.issued",
      clientId: "service",
      userId: null,
      ip: ADDRESS,
      details: { grant_type: "client_credentials", scopes: ["orders:read"], tokens: ["access_token"], jti: decodeJwt(body.access_token!).jti },
    });
    expect(s.audit.ofKind("token.refused")).toEqual([]);
  });

  it("CC-01 without a granted scope the scopes are an empty list", async () => {
    const s = setup();
    await s.post({ grant_type: "client_credentials" }, ["service", SERVICE_SECRET]);
    expect(only(s, "token.issued").details).toMatchObject({ scopes: [], tokens: ["access_token"] });
  });

  it("TK-01 a code redemption names the user and lists the access, refresh and ID tokens", async () => {
    const s = setup();
    const body = await json(await redeem(s, await webCode(s)));
    expect(body.refresh_token).toBeDefined();
    const event = only(s, "token.issued");
    expect(event).toMatchObject({ clientId: "web-app", userId: s.user.id, ip: ADDRESS });
    expect(event.details).toEqual({
      grant_type: "authorization_code",
      scopes: ["openid", "profile", "offline_access"],
      tokens: ["access_token", "refresh_token", "id_token"],
      jti: decodeJwt(body.access_token!).jti,
    });
  });

  it("RT-01 a refresh names the user; a narrowed scope is what is recorded", async () => {
    const s = setup();
    const first = await json(await redeem(s, await webCode(s)));
    const body = await json(await s.post({ grant_type: "refresh_token", refresh_token: first.refresh_token!, scope: "profile" }, ["web-app", WEB_SECRET]));
    const events = s.audit.ofKind("token.issued");
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({ clientId: "web-app", userId: s.user.id });
    expect(events[1]!.details).toEqual({
      grant_type: "refresh_token",
      scopes: ["profile"],
      tokens: ["access_token", "refresh_token"],
      jti: decodeJwt(body.access_token!).jti,
    });
  });

  it("the event is stored before the answer: a failing audit log turns the success into a 500 without tokens", async () => {
    const s = setup();
    s.audit.failWith = new Error("audit insert failed");
    const response = await s.post(ccFor(), ["service", SERVICE_SECRET]);
    expect(response.status).toBe(500);
    const body = await json(response);
    expect(body.error).toBe("server_error");
    expect(body).not.toHaveProperty("access_token");
  });
});

describe("token.refused: one event per refusal, reason = the OAuth error code", () => {
  const cases: Array<{ name: string; body: Record<string, string>; basic?: [string, string]; status: number; reason: string; clientId: string | null; grantType?: string }> = [
    { name: "CA-02 a wrong secret (the presented client_id is kept)", body: ccFor(), basic: ["service", "wrong-secret-0123456789"], status: 401, reason: "invalid_client", clientId: "service", grantType: "client_credentials" },
    { name: "an unknown client (the presented client_id is kept)", body: { ...ccFor(), client_id: "nobody", client_secret: "guess-0123456789" }, status: 401, reason: "invalid_client", clientId: "nobody", grantType: "client_credentials" },
    { name: "no client authentication at all", body: ccFor(), status: 401, reason: "invalid_client", clientId: null, grantType: "client_credentials" },
    { name: "TK-08 a missing grant_type", body: { scope: "orders:read" }, basic: ["service", SERVICE_SECRET], status: 400, reason: "invalid_request", clientId: "service" },
    { name: "BCP-06 grant_type=password", body: { grant_type: "password", username: "alice", password: "alice-password" }, basic: ["service", SERVICE_SECRET], status: 400, reason: "unsupported_grant_type", clientId: "service", grantType: "password" },
    { name: "TK-08 a grant the client may not use", body: { grant_type: "authorization_code", code: "x".repeat(43) }, basic: ["service", SERVICE_SECRET], status: 400, reason: "unauthorized_client", clientId: "service", grantType: "authorization_code" },
    { name: "CC-02 a scope outside the client's permissions", body: ccFor("admin"), basic: ["service", SERVICE_SECRET], status: 400, reason: "invalid_scope", clientId: "service", grantType: "client_credentials" },
    { name: "TK-05 an unknown code", body: { grant_type: "authorization_code", code: "y".repeat(43), redirect_uri: WEB_CALLBACK, code_verifier: PKCE.verifier }, basic: ["web-app", WEB_SECRET], status: 400, reason: "invalid_grant", clientId: "web-app", grantType: "authorization_code" },
  ];

  it.each(cases)("$name → $reason", async ({ body, basic, status, reason, clientId, grantType }) => {
    const s = setup();
    const response = await s.post(body, basic);
    expect(response.status).toBe(status);
    const answer = await json(response);
    expect(answer.error).toBe(reason);
    const event = only(s, "token.refused");
    expect(event).toMatchObject({ kind: "token.refused", clientId, ip: ADDRESS, reason });
    expect(event.details).toEqual({ ...(grantType ? { grant_type: grantType } : {}), description: answer.error_description });
    expect(s.audit.ofKind("token.issued")).toEqual([]);
    // Nothing the client sent as a credential reaches the log.
    const logged = JSON.stringify(s.audit.events);
    for (const secret of [body.client_secret, basic?.[1], body.password, body.code, body.code_verifier]) {
      if (secret) expect(logged).not.toContain(secret);
    }
  });

  it("TK-09 a wrong content type is refused and recorded, without a grant type or client", async () => {
    const s = setup();
    const response = await s.token(
      new Request("https://id.example.test/connect/token", { method: "POST", headers: { "Content-Type": "application/json", [TEST_ADDRESS_HEADER]: ADDRESS }, body: "{}" }),
    );
    expect(response.status).toBe(400);
    expect(only(s, "token.refused")).toMatchObject({ reason: "invalid_request", clientId: null, ip: ADDRESS });
  });

  it("TK-09 with an unreadable body the Basic header still names the client", async () => {
    const s = setup();
    const response = await s.token(
      new Request("https://id.example.test/connect/token", {
        method: "POST",
        headers: { "Content-Type": "text/plain", Authorization: basicHeader("service", SERVICE_SECRET) },
        body: "grant_type=client_credentials",
      }),
    );
    expect(response.status).toBe(400);
    expect(only(s, "token.refused")).toMatchObject({ reason: "invalid_request", clientId: "service" });
    expect(JSON.stringify(s.audit.events)).not.toContain(SERVICE_SECRET);
  });

  it("an over-long grant type is clipped in the details", async () => {
    const s = setup();
    await s.post({ grant_type: "g".repeat(5000) }, ["service", SERVICE_SECRET]);
    const details = only(s, "token.refused").details as { grant_type: string; description: string };
    expect(details.grant_type.length).toBeLessThanOrEqual(200);
    expect(details.description.length).toBeLessThanOrEqual(200);
  });

  it("TK-09 an unexpected failure is recorded as server_error", async () => {
    const s = setup();
    s.clients.failWith = new Error("connection refused");
    const response = await s.post(ccFor(), ["service", SERVICE_SECRET]);
    expect(response.status).toBe(500);
    expect(only(s, "token.refused")).toMatchObject({ reason: "server_error", clientId: "service" });
  });

  it("a refusal whose record cannot be written is still the same refusal (and the failure is logged)", async () => {
    const logged: unknown[] = [];
    const audit = new InMemoryAuditLog();
    audit.failWith = new Error("audit insert failed");
    const clients = new InMemoryClientStore([makeClient({ clientId: "service", secret: SERVICE_SECRET })]);
    const fx = createAuthorizeFixture();
    const token = createTokenEndpoint({ config: fx.config, keys, tokens: new InMemoryTokenStore(), scopes: fx.scopes, clients, codes: fx.codes, grants: fx.codes, audit, log: (error) => logged.push(error) });
    const response = await token(tokenRequest(ccFor(), { basic: ["service", "wrong-secret-0123456789"] }));
    expect(response.status).toBe(401);
    expect((await json(response)).error).toBe("invalid_client");
    expect(logged).toEqual([audit.failWith]);
  });
});

describe("token.reuse_detected", () => {
  it("RT-04 / BCP-05 replaying a rotated refresh token records the revoked grant, then the refusal", async () => {
    const s = setup();
    const first = await json(await redeem(s, await webCode(s)));
    await refresh(s, first.refresh_token!);
    const grantId = s.refreshTokens.tokens.get(hashOpaqueValue(first.refresh_token!))!.grantId;
    const replay = await refresh(s, first.refresh_token!);
    expect(replay.status).toBe(400);
    const event = only(s, "token.reuse_detected");
    expect(event).toMatchObject({ clientId: "web-app", userId: s.user.id, ip: ADDRESS, reason: "refresh_token_reused" });
    // The code, the first refresh token (already redeemed, now revoked) and its successor.
    expect(event.details).toEqual({ grant_id: grantId, token: "refresh_token", revoked: 3 });
    expect(s.audit.events.map((e) => e.kind)).toEqual(["token.issued", "token.issued", "token.reuse_detected", "token.refused"]);
    expect(only(s, "token.refused").reason).toBe("invalid_grant");
    expect(JSON.stringify(s.audit.events)).not.toContain(first.refresh_token!);
  });

  it("TK-03 / BCP-03 redeeming a code twice records the revoked grant", async () => {
    const s = setup();
    const code = await webCode(s, "openid");
    await redeem(s, code);
    const grantId = [...s.codes.codes.values()][0]!.id;
    expect((await redeem(s, code)).status).toBe(400);
    expect(only(s, "token.reuse_detected")).toMatchObject({
      clientId: "web-app",
      userId: s.user.id,
      reason: "authorization_code_reused",
      details: { grant_id: grantId, token: "authorization_code" },
    });
    expect(JSON.stringify(s.audit.events)).not.toContain(code);
  });

  it("a refresh token that is merely unknown is a refusal, not a reuse", async () => {
    const s = setup();
    await refresh(s, "z".repeat(43));
    expect(s.audit.ofKind("token.reuse_detected")).toEqual([]);
    expect(only(s, "token.refused").reason).toBe("invalid_grant");
  });
});

describe("token.revoked", () => {
  async function revocationSetup() {
    const fx = await createTokenFixture();
    const audit = new InMemoryAuditLog();
    const webApp = makeClient({ clientId: "web-app", secret: WEB_SECRET, permissions: [...CODE_FLOW, "ept:revocation"] });
    const otherApp = makeClient({ clientId: "other-app", secret: WEB_SECRET, permissions: [...CODE_FLOW, "ept:revocation"] });
    const revoke = createRevocationEndpoint({
      config: fx.config,
      keys: fx.keys,
      tokens: fx.tokens,
      now: fx.clock.now,
      clients: new InMemoryClientStore([webApp, otherApp]),
      revocations: fx.tokens,
      audit,
      clientAddress: testClientAddress,
    });
    const post = (token: string, as = "web-app") =>
      revoke(clientFormRequest("/connect/revoke", { token }, { basic: [as, WEB_SECRET], headers: { [TEST_ADDRESS_HEADER]: ADDRESS } }));
    return { fx, audit, webApp, post };
  }

  it("RV-01 revoking its own access token records the client, the user, the jti and the count", async () => {
    const { fx, audit, webApp, post } = await revocationSetup();
    const alice = makeUser();
    const issued = await fx.issue({ client: webApp, subject: alice.id, scopes: ["openid"], grantId: crypto.randomUUID() });
    expect((await post(issued.accessToken)).status).toBe(200);
    expect(audit.events).toEqual([
      {
        kind: "token.revoked",
        clientId: "web-app",
        userId: alice.id,
        ip: ADDRESS,
        details: { token: "access_token", scope: "token", revoked: 1, jti: issued.jti, grant_id: expect.any(String) },
      },
    ]);
    expect(JSON.stringify(audit.events)).not.toContain(issued.accessToken);
  });

  it("RV-02 revoking a refresh token records the grant and how many tokens went with it", async () => {
    const { fx, audit, webApp, post } = await revocationSetup();
    const root = fx.tokens.addOpaqueToken({ kind: "refresh_token", valueHash: hashOpaqueValue("refresh-value-0123456789"), applicationId: webApp.id, grantId: "self" });
    await fx.issue({ client: webApp, subject: "user-1", scopes: ["openid"], grantId: root.id });
    await post("refresh-value-0123456789");
    expect(audit.events).toHaveLength(1);
    expect(audit.events[0]).toMatchObject({ kind: "token.revoked", clientId: "web-app", userId: "user-1", details: { token: "refresh_token", scope: "grant", revoked: 2, grant_id: root.id } });
    // Revoking it again changes nothing and records nothing.
    await post("refresh-value-0123456789");
    expect(audit.events).toHaveLength(1);
  });

  it("a client's own client_credentials token has no user", async () => {
    const { fx, audit, webApp, post } = await revocationSetup();
    const issued = await fx.issue({ client: webApp, subject: webApp.clientId, scopes: [] });
    await post(issued.accessToken);
    expect(audit.events[0]).toMatchObject({ kind: "token.revoked", userId: null, details: { token: "access_token", jti: issued.jti } });
  });

  it("RV-03 / RV-04 garbage and another client's token are answered 200 and record nothing", async () => {
    const { fx, audit, webApp, post } = await revocationSetup();
    const issued = await fx.issue({ client: webApp, subject: "user-1", scopes: [], grantId: crypto.randomUUID() });
    expect((await post(issued.accessToken, "other-app")).status).toBe(200);
    expect((await post("garbage")).status).toBe(200);
    expect(audit.events).toEqual([]);
  });
});
