// grant_type=refresh_token at POST /connect/token (lib/oauth/grants/refreshToken.ts)
// and the refresh token the authorization_code grant adds for offline_access.
// Row ids refer to shared/CONFORMANCE.md (section 3, "Refresh token"; BCP-05).
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_REFRESH_TOKEN_ABSOLUTE_LIFETIME, DEFAULT_REFRESH_TOKEN_LIFETIME } from "@/lib/oauth/grants/refreshToken";
import { createJwksEndpoint } from "@/lib/oauth/jwks";
import { KeyEncryption } from "@/lib/oauth/keyEncryption";
import { hashOpaqueValue } from "@/lib/oauth/secrets";
import { ensureSigningKeys, KeyRing } from "@/lib/oauth/signingKeys";
import { createTokenEndpoint } from "@/lib/oauth/token";
import {
  CODE_FLOW,
  InMemoryRefreshTokenStore,
  InMemorySigningKeyStore,
  InMemoryTokenStore,
  ORDERS_API,
  PKCE,
  TEST_SECRET,
  WEB_CALLBACK,
  WEB_SECRET,
  codeFrom,
  codeRequestParams,
  createAuthorizeFixture,
  makeClient,
  tokenRequest,
  tokenEndpointFor,
} from "./fakes";

const ISSUER = "https://id.example.test";
const encryption = new KeyEncryption(TEST_SECRET);
const keyStore = new InMemorySigningKeyStore();
let keys: KeyRing;
let jwks: ReturnType<typeof createLocalJWKSet>;

beforeAll(async () => {
  await ensureSigningKeys(keyStore, encryption);
  keys = new KeyRing(keyStore, encryption);
  const response = await createJwksEndpoint(keys)(new Request(`${ISSUER}/.well-known/jwks.json`));
  jwks = createLocalJWKSet((await response.json()) as JSONWebKeySet);
});

const OFFLINE_CALLBACK = "https://offline-spa.example.test/cb";
const OFFLINE_SCOPES = ["scp:profile", "scp:email", "scp:orders:read", "scp:offline_access"];
/** A public client with the refresh_token grant. */
const offlineSpa = (overrides: Parameters<typeof makeClient>[0] = {}) =>
  makeClient({
    clientId: "offline-spa",
    clientType: "public",
    consentType: "implicit",
    redirectUris: [OFFLINE_CALLBACK],
    permissions: [...CODE_FLOW, "gt:refresh_token", ...OFFLINE_SCOPES],
    ...overrides,
  });

function setup(clientOverrides: Parameters<typeof makeClient>[0] = {}) {
  const fx = createAuthorizeFixture({ extraClients: [offlineSpa(clientOverrides)] });
  const refreshTokens = new InMemoryRefreshTokenStore(fx.codes);
  const tokens = new InMemoryTokenStore({ codes: fx.codes, refreshTokens });
  const token = tokenEndpointFor(fx, keys, { tokens, refreshTokens });
  fx.signIn();
  return { ...fx, tokens, refreshTokens, token };
}
type Setup = ReturnType<typeof setup>;

interface TokenBody {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope?: string;
  id_token?: string;
  refresh_token?: string;
}

async function ok(response: Response): Promise<TokenBody> {
  expect(response.status).toBe(200);
  expect(response.headers.get("cache-control")).toBe("no-store");
  const body = (await response.json()) as TokenBody;
  expect(body.token_type).toBe("Bearer");
  return body;
}

async function error(response: Response, status: number, code: string): Promise<string> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: string; error_description: string };
  expect(body.error).toBe(code);
  return body.error_description;
}

/** A code flow for offline-spa; returns the token response. */
async function spaTokens(s: Setup, scope = "openid profile orders:read offline_access", nonce = "n-0S6"): Promise<TokenBody> {
  const code = codeFrom(await s.get(codeRequestParams("offline-spa", OFFLINE_CALLBACK, { scope, nonce })));
  return ok(
    await s.token(
      tokenRequest({ grant_type: "authorization_code", client_id: "offline-spa", code, redirect_uri: OFFLINE_CALLBACK, code_verifier: PKCE.verifier }),
    ),
  );
}

const spaRefresh = (refreshToken: string, extra: Record<string, string> = {}) =>
  tokenRequest({ grant_type: "refresh_token", client_id: "offline-spa", refresh_token: refreshToken, ...extra });

const webRefresh = (refreshToken: string, extra: Record<string, string> = {}) =>
  tokenRequest({ grant_type: "refresh_token", refresh_token: refreshToken, ...extra }, { basic: ["web-app", WEB_SECRET] });

const grantOf = (s: Setup, refreshToken: string) => s.refreshTokens.tokens.get(hashOpaqueValue(refreshToken))!.grantId;

const verifyId = (s: Setup, idToken: string) => jwtVerify(idToken, jwks, { issuer: ISSUER, audience: "offline-spa", currentDate: new Date(s.clock.now()) });

describe("issuing a refresh token with the code", () => {
  it("offline_access with gt:refresh_token gives a 256-bit refresh token, stored only as its hash", async () => {
    const s = setup();
    const body = await spaTokens(s);
    expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const row = s.refreshTokens.tokens.get(hashOpaqueValue(body.refresh_token!))!;
    expect(JSON.stringify([...s.refreshTokens.tokens.values()])).not.toContain(body.refresh_token);
    const code = [...s.codes.codes.values()][0]!;
    expect(row).toMatchObject({ grantId: code.id, subject: s.user.id, authorizationId: code.authorizationId, scopes: code.scopes, status: "valid" });
    expect(row.payload).not.toHaveProperty("nonce");
    expect(row.payload.authTime).toBe(code.binding.authTime);
    expect(row.expiresAt.getTime()).toBe(s.clock.now() + DEFAULT_REFRESH_TOKEN_LIFETIME * 1000);
    expect(row.payload.absoluteExpiresAt).toBe(s.clock.now() + DEFAULT_REFRESH_TOKEN_ABSOLUTE_LIFETIME * 1000);
  });

  it("without offline_access there is no refresh token", async () => {
    const s = setup();
    const body = await spaTokens(s, "openid profile");
    expect(body).not.toHaveProperty("refresh_token");
    expect(s.refreshTokens.tokens.size).toBe(0);
  });

  it("the sliding lifetime never passes the grant's absolute lifetime (client settings)", async () => {
    const s = setup({ refreshTokenLifetime: 600, refreshTokenAbsoluteLifetime: 900 });
    const first = await spaTokens(s);
    const start = s.clock.now();
    expect(s.refreshTokens.tokens.get(hashOpaqueValue(first.refresh_token!))!.expiresAt.getTime()).toBe(start + 600_000);
    s.clock.advance(500);
    const second = await ok(await s.token(spaRefresh(first.refresh_token!)));
    const row = s.refreshTokens.tokens.get(hashOpaqueValue(second.refresh_token!))!;
    expect(row.expiresAt.getTime()).toBe(start + 900_000);
    s.clock.advance(401);
    await error(await s.token(spaRefresh(second.refresh_token!)), 400, "invalid_grant");
  });
});

describe("grant_type=refresh_token", () => {
  it("RT-01: a public client refreshes with client_id only; a new ID token with the same sub/aud/auth_time, newer iat, no nonce", async () => {
    const s = setup();
    const first = await spaTokens(s);
    const original = (await verifyId(s, first.id_token!)).payload;
    expect(original.nonce).toBe("n-0S6");
    s.clock.advance(5);
    const second = await ok(await s.token(spaRefresh(first.refresh_token!, { scope: "openid profile orders:read offline_access" })));
    expect(second.refresh_token).toBeDefined();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.refresh_token).toMatch(/^[\x20-\x7E]+$/);
    expect(second.scope).toBe("openid profile orders:read offline_access");
    const renewed = (await verifyId(s, second.id_token!)).payload;
    expect(renewed.sub).toBe(original.sub);
    expect(renewed.aud).toBe(original.aud);
    expect(renewed.iss).toBe(original.iss);
    expect(renewed.auth_time).toBe(original.auth_time);
    expect(renewed.iat).toBeGreaterThan(original.iat!);
    expect(renewed).not.toHaveProperty("nonce");
    expect(renewed).not.toHaveProperty("azp");
    expect(renewed.preferred_username).toBe("alice");
    const access = (await jwtVerify(second.access_token, jwks, { issuer: ISSUER, currentDate: new Date(s.clock.now()) })).payload;
    expect(access.sub).toBe(s.user.id);
    expect(access.aud).toBe(ORDERS_API);
    expect(access.preferred_username).toBe("alice");
    // The access token belongs to the same grant.
    expect(s.tokens.accessTokens.at(-1)!.grantId).toBe(grantOf(s, first.refresh_token!));
    expect(grantOf(s, second.refresh_token!)).toBe(grantOf(s, first.refresh_token!));
  });

  it("RT-01: a confidential client refreshes with its secret", async () => {
    const s = setup();
    const row = await s.clientRow("web-app");
    await s.authorizations.savePermanentAuthorization(s.user.id, row.id, ["openid", "offline_access", "email"]);
    const code = codeFrom(await s.get(codeRequestParams("web-app", WEB_CALLBACK, { scope: "openid email offline_access" })));
    const first = await ok(
      await s.token(tokenRequest({ grant_type: "authorization_code", code, redirect_uri: WEB_CALLBACK, code_verifier: PKCE.verifier }, { basic: ["web-app", WEB_SECRET] })),
    );
    const second = await ok(await s.token(webRefresh(first.refresh_token!)));
    expect(second.id_token).toBeDefined();
    expect(second.refresh_token).toBeDefined();
  });

  it("RT-02: another client's refresh token is invalid_grant and does not harm the grant", async () => {
    const s = setup();
    const first = await spaTokens(s);
    expect(await error(await s.token(webRefresh(first.refresh_token!)), 400, "invalid_grant")).toMatch(/another client/);
    await ok(await s.token(spaRefresh(first.refresh_token!)));
  });

  it("RT-03: a wider scope is invalid_scope", async () => {
    const s = setup();
    const first = await spaTokens(s, "openid orders:read offline_access");
    await error(await s.token(spaRefresh(first.refresh_token!, { scope: "openid orders:read email" })), 400, "invalid_scope");
    // The refused request did not use the token up.
    await ok(await s.token(spaRefresh(first.refresh_token!, { scope: "openid" })));
  });

  it("RT-03: a narrower scope is fine; without openid there is no id_token; the new refresh token keeps the full scope", async () => {
    const s = setup();
    const first = await spaTokens(s);
    const narrowed = await ok(await s.token(spaRefresh(first.refresh_token!, { scope: "orders:read" })));
    expect(narrowed.scope).toBe("orders:read");
    expect(narrowed).not.toHaveProperty("id_token");
    const access = (await jwtVerify(narrowed.access_token, jwks, { issuer: ISSUER, currentDate: new Date(s.clock.now()) })).payload;
    expect(access.scope).toBe("orders:read");
    expect(access).not.toHaveProperty("preferred_username");
    const again = await ok(await s.token(spaRefresh(narrowed.refresh_token!)));
    expect(again.scope).toBe("openid profile orders:read offline_access");
    expect(again.id_token).toBeDefined();
  });

  it("RT-04 / BCP-05: replaying a rotated token is invalid_grant and revokes the whole grant", async () => {
    const s = setup();
    const first = await spaTokens(s);
    const grantId = grantOf(s, first.refresh_token!);
    const second = await ok(await s.token(spaRefresh(first.refresh_token!)));
    expect(await error(await s.token(spaRefresh(first.refresh_token!)), 400, "invalid_grant")).toMatch(/already used/);
    expect(s.refreshTokens.revokedGrants).toContain(grantId);
    expect(await s.codes.isGrantRevoked(grantId)).toBe(true);
    expect(s.refreshTokens.valid(grantId)).toHaveLength(0);
    await error(await s.token(spaRefresh(second.refresh_token!)), 400, "invalid_grant");
  });

  it("RT-05: an expired refresh token is invalid_grant", async () => {
    const s = setup();
    const first = await spaTokens(s);
    s.clock.advance(DEFAULT_REFRESH_TOKEN_LIFETIME + 1);
    await error(await s.token(spaRefresh(first.refresh_token!)), 400, "invalid_grant");
  });

  it("RT-05: a refresh token whose grant was revoked (code replay) is invalid_grant", async () => {
    const s = setup();
    const first = await spaTokens(s);
    await s.codes.revokeGrant(grantOf(s, first.refresh_token!));
    await error(await s.token(spaRefresh(first.refresh_token!)), 400, "invalid_grant");
  });

  it("an unknown refresh token, or none, is refused", async () => {
    const s = setup();
    await error(await s.token(spaRefresh("not-a-token")), 400, "invalid_grant");
    await error(await s.token(tokenRequest({ grant_type: "refresh_token", client_id: "offline-spa" })), 400, "invalid_request");
  });

  it("withdrawn consent or a disabled user is invalid_grant and ends the grant", async () => {
    const s = setup();
    const first = await spaTokens(s);
    const row = s.refreshTokens.tokens.get(hashOpaqueValue(first.refresh_token!))!;
    s.refreshTokens.revokedAuthorizations.add(row.authorizationId!);
    await error(await s.token(spaRefresh(first.refresh_token!)), 400, "invalid_grant");
    expect(s.refreshTokens.valid(row.grantId)).toHaveLength(0);

    const t = setup();
    const other = await spaTokens(t);
    t.refreshTokens.disabledUsers.add(t.user.id);
    await error(await t.token(spaRefresh(other.refresh_token!)), 400, "invalid_grant");
  });

  it("a client without gt:refresh_token is unauthorized_client", async () => {
    const s = setup();
    const first = await spaTokens(s);
    (await s.clientRow("offline-spa")).permissions = [...CODE_FLOW, ...OFFLINE_SCOPES];
    await error(await s.token(spaRefresh(first.refresh_token!)), 400, "unauthorized_client");
  });

  it("five concurrent uses of one refresh token: exactly one succeeds", async () => {
    const s = setup();
    const first = await spaTokens(s);
    const responses = await Promise.all(Array.from({ length: 5 }, () => s.token(spaRefresh(first.refresh_token!))));
    expect(responses.filter((response) => response.status === 200)).toHaveLength(1);
    expect(responses.filter((response) => response.status === 400)).toHaveLength(4);
    // The losers were replays: the grant is gone, the winner's new refresh token included.
    expect(s.refreshTokens.valid(grantOf(s, first.refresh_token!))).toHaveLength(0);
  });

  it("without a refresh token store the grant is unsupported", async () => {
    const s = setup();
    const token = createTokenEndpoint({ config: s.config, keys, tokens: s.tokens, scopes: s.scopes, clients: s.clients, codes: s.codes, grants: s.codes, audit: s.audit });
    await error(await token(spaRefresh("x")), 400, "unsupported_grant_type");
  });
});
