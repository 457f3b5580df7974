// Sealed interactions (lib/oauth/sealedInteraction.ts, decision 0010): the
// request of a user who still has to sign in, carried in the login URL.
import { describe, expect, it } from "vitest";
import { INTERACTION_LIFETIME } from "@/lib/oauth/authorize";
import { InteractionSealer, SEALED_INTERACTION, compactRequest, expandRequest, type InteractionSnapshot } from "@/lib/oauth/sealedInteraction";
import type { ValidatedAuthorizationRequest } from "@/lib/oauth/ports";
import { deriveSecret } from "@/lib/settings";
import { PKCE, SPA_CALLBACK, TEST_INTERACTION_KEY, codeFrom, codeRequestParams, createAuthorizeFixture, makeClient, redirectLocation } from "./fakes";

const request: ValidatedAuthorizationRequest = {
  clientId: "spa",
  redirectUri: SPA_CALLBACK,
  redirectUriProvided: true,
  scopes: ["openid", "profile"],
  state: "s".repeat(2048),
  nonce: "n".repeat(2048),
  codeChallenge: PKCE.challenge,
  codeChallengeMethod: "S256",
  prompt: ["login"],
  maxAge: 0,
  loginHint: "alice@example.com",
  expectedSubject: "11111111-2222-4333-8444-555555555555",
};
const T0 = Date.UTC(2026, 11, 7, 12);

function snapshot(overrides: Partial<InteractionSnapshot> = {}): InteractionSnapshot {
  return {
    id: "I".repeat(43),
    applicationId: "00000000-0000-4000-8000-000000000001",
    request,
    createdAt: new Date(T0),
    expiresAt: new Date(T0 + INTERACTION_LIFETIME * 1000),
    ...overrides,
  };
}

/** Flips one bit of the byte at `index` of a base64url value. */
function flipByte(value: string, index: number): string {
  const bytes = Buffer.from(value, "base64url");
  bytes[index]! ^= 0x01;
  return bytes.toString("base64url");
}

describe("sealed interactions: round trip", () => {
  const sealer = new InteractionSealer(TEST_INTERACTION_KEY);

  it("opens to exactly what was sealed, to the millisecond", () => {
    const sealed = sealer.seal(snapshot());
    expect(sealed).toMatch(SEALED_INTERACTION);
    expect(sealer.open(sealed, T0 + 1000)).toEqual(snapshot());
  });

  it("a minimal request (no state, nonce, prompt, hint) round-trips with its nulls", () => {
    const minimal: ValidatedAuthorizationRequest = { ...request, redirectUriProvided: false, state: null, nonce: null, prompt: [], maxAge: null, loginHint: null };
    delete (minimal as Partial<ValidatedAuthorizationRequest>).expectedSubject;
    expect(sealer.open(sealer.seal(snapshot({ request: minimal })), T0)!.request).toEqual(minimal);
  });

  it("two seals of the same interaction differ (a fresh IV each time)", () => {
    expect(sealer.seal(snapshot())).not.toBe(sealer.seal(snapshot()));
  });

  it("is compact: a request with a 2 KiB state and a 2 KiB nonce seals to under 6 KiB", () => {
    expect(sealer.seal(snapshot()).length).toBeLessThan(6 * 1024);
  });
});

describe("sealed interactions: refused", () => {
  const sealer = new InteractionSealer(TEST_INTERACTION_KEY);
  const sealed = sealer.seal(snapshot());

  it("any altered byte (version, IV, ciphertext, tag)", () => {
    const length = Buffer.from(sealed, "base64url").length;
    for (const index of [0, 1, 12, 13, 40, length - 17, length - 1]) {
      expect(sealer.open(flipByte(sealed, index), T0), `byte ${index}`).toBeNull();
    }
  });

  it("truncated, extended, or not base64url at all", () => {
    expect(sealer.open(sealed.slice(0, -4), T0)).toBeNull();
    expect(sealer.open(sealed + "AAAA", T0)).toBeNull();
    expect(sealer.open(sealed.slice(0, 60) + "+/" + sealed.slice(62), T0)).toBeNull();
    expect(sealer.open("A".repeat(43), T0)).toBeNull();
    expect(sealer.open("", T0)).toBeNull();
  });

  it("sealed under another deployment's key", () => {
    const other = new InteractionSealer(deriveSecret("another-deployment-secret-0123456789abcdef", "authorization-interaction/v1"));
    expect(other.open(sealed, T0)).toBeNull();
    expect(sealer.open(other.seal(snapshot()), T0)).toBeNull();
  });

  it("at and after its expiry, not a moment before", () => {
    const expiry = T0 + INTERACTION_LIFETIME * 1000;
    expect(sealer.open(sealed, expiry - 1)).not.toBeNull();
    expect(sealer.open(sealed, expiry)).toBeNull();
    expect(sealer.open(sealed, expiry + 60_000)).toBeNull();
  });

  it("a key of the wrong length is a configuration error", () => {
    expect(() => new InteractionSealer(Buffer.alloc(16).toString("base64url"))).toThrow(/32 bytes/);
  });
});

describe("sealed interactions: the compact request", () => {
  it("leaves out what is empty and expands back; rows written before decision 0010 still read", () => {
    const compact = compactRequest({ ...request, state: null, prompt: [], loginHint: null });
    expect(Object.keys(compact).sort()).toEqual(["c", "cc", "ma", "n", "s", "sub", "u", "up"]);
    expect(expandRequest(JSON.parse(JSON.stringify(compact)))).toEqual({ ...request, state: null, prompt: [], loginHint: null });
    expect(expandRequest(request)).toEqual(request);
    expect(expandRequest({ c: "spa" })).toBeNull();
    expect(expandRequest({ ...compact, p: ["bogus"] })).toBeNull();
    expect(expandRequest(null)).toBeNull();
  });
});

describe("sealed interactions at the authorization endpoint", () => {
  function loginRedirect(response: Response): string {
    const location = redirectLocation(response);
    expect(location.pathname).toBe("/login");
    return location.searchParams.get("interaction")!;
  }

  it("an altered seal gives the expired-request page and issues nothing", async () => {
    const fx = createAuthorizeFixture();
    const sealed = loginRedirect(await fx.get(codeRequestParams("spa", SPA_CALLBACK)));
    fx.signIn();
    const response = await fx.resume(flipByte(sealed, 30));
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/expired/);
    expect(fx.codes.codes.size).toBe(0);
  });

  it("an expired seal gives the expired-request page", async () => {
    const fx = createAuthorizeFixture();
    const sealed = loginRedirect(await fx.get(codeRequestParams("spa", SPA_CALLBACK)));
    fx.clock.advance(INTERACTION_LIFETIME);
    fx.signIn();
    expect(await (await fx.resume(sealed)).text()).toMatch(/expired/);
    expect(fx.codes.codes.size).toBe(0);
  });

  it("a seal made for a client that was since deleted and registered again under the same client_id is refused", async () => {
    const fx = createAuthorizeFixture();
    const sealed = loginRedirect(await fx.get(codeRequestParams("spa", SPA_CALLBACK)));
    const old = await fx.clientRow("spa");
    fx.clients.add(makeClient({ ...old, id: "00000000-0000-4000-8000-0000000000ff" }));
    fx.signIn();
    const response = await fx.resume(sealed);
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/disabled or removed/);
    expect(fx.codes.codes.size).toBe(0);
  });

  it("a seal from another deployment's key is refused", async () => {
    const fx = createAuthorizeFixture();
    const foreign = new InteractionSealer(Buffer.alloc(32, 9).toString("base64url")).seal(
      snapshot({ applicationId: (await fx.clientRow("spa")).id, createdAt: new Date(fx.clock.now()), expiresAt: new Date(fx.clock.now() + 60_000) }),
    );
    fx.signIn();
    expect(await (await fx.resume(foreign)).text()).toMatch(/expired/);
  });

  it("a seal is single-use once it produced a code", async () => {
    const fx = createAuthorizeFixture();
    const sealed = loginRedirect(await fx.get(codeRequestParams("spa", SPA_CALLBACK)));
    fx.signIn();
    codeFrom(await fx.resume(sealed));
    expect(await (await fx.resume(sealed)).text()).toMatch(/expired/);
    expect(fx.codes.codes.size).toBe(1);
  });
});
