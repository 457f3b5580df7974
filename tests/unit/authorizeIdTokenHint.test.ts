// id_token_hint at /connect/authorize (OIDC Core §3.1.2.1, lib/oauth/idTokenHint.ts):
// the app names the user it expects with an ID token we issued to it. Row ids
// refer to shared/CONFORMANCE.md (SE-03: silent re-authentication with the hint).
import { SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { issueIdToken } from "@/lib/oauth/idTokens";
import { KeyEncryption } from "@/lib/oauth/keyEncryption";
import type { UserRecord } from "@/lib/oauth/ports";
import { ensureSigningKeys, KeyRing } from "@/lib/oauth/signingKeys";
import { InMemorySigningKeyStore, SPA_CALLBACK, TEST_SECRET, codeRequestParams, createAuthorizeFixture, redirectLocation } from "./fakes";

const encryption = new KeyEncryption(TEST_SECRET);
let keys: KeyRing;
let foreignKeys: KeyRing;

beforeAll(async () => {
  const store = new InMemorySigningKeyStore();
  await ensureSigningKeys(store, encryption);
  keys = new KeyRing(store, encryption);
  const foreign = new InMemorySigningKeyStore();
  await ensureSigningKeys(foreign, encryption);
  foreignKeys = new KeyRing(foreign, encryption);
});

function setup() {
  const fx = createAuthorizeFixture({ keys });
  /** An ID token as the token endpoint would have issued it to `clientId` for `who`. */
  async function hintFor(who: UserRecord, options: { clientId?: string; ring?: KeyRing; issuer?: string; now?: number } = {}) {
    return issueIdToken(
      { config: { issuer: options.issuer ?? fx.config.issuer }, keys: options.ring ?? keys },
      { client: await fx.clientRow(options.clientId ?? "spa"), subject: who.id, nonce: null, authTime: Math.floor(Date.now() / 1000), sessionId: "sid-1", amr: ["pwd"], now: options.now },
    );
  }
  const spa = (overrides: Record<string, string | null> = {}) => codeRequestParams("spa", SPA_CALLBACK, { state: "st", ...overrides });
  return { fx, hintFor, spa };
}

function expectCode(response: Response): URL {
  const location = redirectLocation(response);
  expect(`${location.origin}${location.pathname}`).toBe(SPA_CALLBACK);
  expect(location.searchParams.get("code")).toBeTruthy();
  return location;
}

function expectError(response: Response, error: string): string {
  const location = redirectLocation(response);
  expect(`${location.origin}${location.pathname}`).toBe(SPA_CALLBACK);
  expect(location.searchParams.get("code")).toBeNull();
  expect(location.searchParams.get("error")).toBe(error);
  expect(location.searchParams.get("state")).toBe("st");
  return location.searchParams.get("error_description")!;
}

function expectLoginPage(response: Response): string {
  const location = redirectLocation(response);
  expect(location.pathname).toBe("/login");
  return location.searchParams.get("interaction")!;
}

describe("authorize: id_token_hint", () => {
  it("SE-03 prompt=none with the signed-in user's own ID token as hint succeeds silently, for that user", async () => {
    const { fx, hintFor, spa } = setup();
    fx.signIn(fx.user);
    const location = expectCode(await fx.get(spa({ prompt: "none", id_token_hint: await hintFor(fx.user) })));
    const [code] = [...fx.codes.codes.values()];
    expect(code!.subject).toBe(fx.user.id);
    expect(location.searchParams.get("state")).toBe("st");
  });

  it("SE-03 an expired hint still names the user (OIDC Core §3.1.2.1 does not ask for a live one)", async () => {
    const { fx, hintFor, spa } = setup();
    fx.signIn(fx.user);
    const old = await hintFor(fx.user, { now: Date.now() - 30 * 24 * 3600 * 1000 });
    expectCode(await fx.get(spa({ prompt: "none", id_token_hint: old })));
  });

  it("a hint naming another user than the one signed in: prompt=none gives login_required and no code", async () => {
    const { fx, hintFor, spa } = setup();
    fx.signIn(fx.user);
    const description = expectError(await fx.get(spa({ prompt: "none", id_token_hint: await hintFor(fx.otherUser) })), "login_required");
    expect(description).toMatch(/id_token_hint/);
    expect(fx.codes.codes.size).toBe(0);
  });

  it("a hint naming another user: without prompt=none the login page lets that user sign in, and the code is theirs", async () => {
    const { fx, hintFor, spa } = setup();
    fx.signIn(fx.user);
    const interaction = expectLoginPage(await fx.get(spa({ id_token_hint: await hintFor(fx.otherUser) })));
    expect(fx.openSealed(interaction)!.request.expectedSubject).toBe(fx.otherUser.id);
    fx.signIn(fx.otherUser);
    // bob has not consented to the spa yet; the spa's consent type is implicit, so the code comes at once.
    expectCode(await fx.resume(interaction));
    expect([...fx.codes.codes.values()][0]!.subject).toBe(fx.otherUser.id);
  });

  it("if the sign-in made for the request is still someone else, the app is told login_required", async () => {
    const { fx, hintFor, spa } = setup();
    fx.signIn(fx.user);
    const interaction = expectLoginPage(await fx.get(spa({ id_token_hint: await hintFor(fx.otherUser) })));
    fx.signIn(fx.user); // alice signs in again instead of bob
    expectError(await fx.resume(interaction), "login_required");
    expect(fx.codes.codes.size).toBe(0);
  });

  it("without a session, a hint leads to the login page as usual", async () => {
    const { fx, hintFor, spa } = setup();
    expectLoginPage(await fx.get(spa({ id_token_hint: await hintFor(fx.user) })));
    expectError(await fx.get(spa({ prompt: "none", id_token_hint: await hintFor(fx.user) })), "login_required");
  });

  it.each([
    ["signed with a key that is not ours", async (s: ReturnType<typeof setup>) => s.hintFor(s.fx.user, { ring: foreignKeys })],
    ["issued by another issuer", async (s: ReturnType<typeof setup>) => s.hintFor(s.fx.user, { issuer: "https://other.example.test" })],
    ["issued to another client", async (s: ReturnType<typeof setup>) => s.hintFor(s.fx.user, { clientId: "web-app" })],
    ["not a JWT", async () => "not-a-jwt"],
    [
      "an access token (typ at+jwt) signed by us",
      async (s: ReturnType<typeof setup>) => {
        const key = await keys.signingKey("RS256");
        return new SignJWT({ client_id: "spa" })
          .setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "at+jwt" })
          .setIssuer(s.fx.config.issuer)
          .setSubject(s.fx.user.id)
          .setAudience("spa")
          .setIssuedAt()
          .setExpirationTime("5m")
          .sign(key.privateKey);
      },
    ],
    ["unsigned (alg none)", async (s: ReturnType<typeof setup>) => {
      const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
      return `${encode({ alg: "none", typ: "JWT" })}.${encode({ iss: s.fx.config.issuer, sub: s.fx.user.id, aud: "spa" })}.`;
    }],
  ])("a hint %s is refused with invalid_request, even for the signed-in user", async (_name, make) => {
    const s = setup();
    s.fx.signIn(s.fx.user);
    const description = expectError(await s.fx.get(s.spa({ id_token_hint: await make(s) })), "invalid_request");
    expect(description).toBe("The id_token_hint is not an ID token this server issued to this client.");
    expect(s.fx.codes.codes.size).toBe(0);
  });
});
