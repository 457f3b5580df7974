// lib/oauth/consent.ts: what the consent page shows (loadConsentPrompt) and
// what it records (recordConsentDecision). Interactions are created through
// the authorization endpoint, as in production.
import { describe, expect, it } from "vitest";
import { INTERACTION_LIFETIME } from "@/lib/oauth/authorize";
import { authorizationResumeUrl, loadConsentPrompt, recordConsentDecision, type ConsentDecision } from "@/lib/oauth/consent";
import { SPA_CALLBACK, TEST_ADDRESS_HEADER, WEB_CALLBACK, codeRequestParams, createAuthorizeFixture, makeSession, redirectLocation, type AuthorizeFixture } from "./fakes";

const ISSUER = "https://id.example.test";

/** Signs alice in and asks for consent; returns the interaction id. */
async function consentInteraction(fx: AuthorizeFixture, clientId = "web-app", scope = "openid profile email") {
  fx.signIn();
  const redirectUri = clientId === "web-app" ? WEB_CALLBACK : `https://${clientId}.example.test/cb`;
  const location = redirectLocation(await fx.get(codeRequestParams(clientId, redirectUri, { scope })));
  expect(location.pathname).toBe("/consent");
  return location.searchParams.get("interaction")!;
}

describe("consent: loadConsentPrompt", () => {
  it("describes the client, the user and the requested scopes in request order", async () => {
    const fx = createAuthorizeFixture();
    const id = await consentInteraction(fx, "web-app", "email openid profile");
    const prompt = await loadConsentPrompt(fx.consentDeps, id, fx.session!);
    expect(prompt).toEqual({
      interactionId: id,
      client: { clientId: "web-app", displayName: "Web App" },
      user: { username: "alice", name: "Alice Example" },
      scopes: [
        expect.objectContaining({ name: "email", displayName: "Your email address" }),
        expect.objectContaining({ name: "openid" }),
        expect.objectContaining({ name: "profile", displayName: "Your profile", description: "Name and username" }),
      ],
      requiredScopes: ["openid"],
      redirectUri: WEB_CALLBACK,
    });
  });

  it("without openid nothing is required", async () => {
    const fx = createAuthorizeFixture();
    const id = await consentInteraction(fx, "web-app", "profile");
    expect((await loadConsentPrompt(fx.consentDeps, id, fx.session!))!.requiredScopes).toEqual([]);
  });

  it("another user's interaction shows nothing", async () => {
    const fx = createAuthorizeFixture();
    const id = await consentInteraction(fx);
    expect(await loadConsentPrompt(fx.consentDeps, id, makeSession(fx.otherUser))).toBeNull();
  });

  it("an interaction still waiting for sign-in shows nothing", async () => {
    const fx = createAuthorizeFixture();
    const location = redirectLocation(await fx.get(codeRequestParams("web-app", WEB_CALLBACK)));
    expect(location.pathname).toBe("/login");
    const id = location.searchParams.get("interaction")!;
    expect(await loadConsentPrompt(fx.consentDeps, id, makeSession(fx.user))).toBeNull();
    expect(await loadConsentPrompt(fx.consentDeps, fx.openSealed(id)!.id, makeSession(fx.user))).toBeNull();
  });

  it.each(["", "short", "A".repeat(43), "../../etc/passwd"])("an unknown or malformed id (%s) shows nothing", async (id) => {
    const fx = createAuthorizeFixture();
    await consentInteraction(fx);
    expect(await loadConsentPrompt(fx.consentDeps, id, fx.session!)).toBeNull();
  });

  it("an expired interaction shows nothing", async () => {
    const fx = createAuthorizeFixture();
    const id = await consentInteraction(fx);
    fx.clock.advance(INTERACTION_LIFETIME + 1);
    expect(await loadConsentPrompt(fx.consentDeps, id, fx.session!)).toBeNull();
  });

  it("a client disabled meanwhile shows nothing", async () => {
    const fx = createAuthorizeFixture();
    const id = await consentInteraction(fx);
    (await fx.clientRow("web-app")).enabled = false;
    expect(await loadConsentPrompt(fx.consentDeps, id, fx.session!)).toBeNull();
  });
});

describe("consent: recordConsentDecision", () => {
  it("records the granted scopes and sends the browser back to the authorization endpoint", async () => {
    const fx = createAuthorizeFixture();
    const id = await consentInteraction(fx);
    const outcome = await recordConsentDecision(fx.consentDeps, id, fx.session!, { decision: "allow", scopes: ["openid", "email"] });
    expect(outcome).toEqual({ status: "recorded", location: `${ISSUER}/connect/authorize?interaction=${id}` });
    const stored = fx.interactions.interactions.get(id)!;
    expect(stored.consent).toBe("granted");
    expect(stored.grantedScopes).toEqual(["openid", "email"]);
  });

  it("granted scopes keep the request's order, whatever order the form sent", async () => {
    const fx = createAuthorizeFixture();
    const id = await consentInteraction(fx, "web-app", "openid profile email");
    await recordConsentDecision(fx.consentDeps, id, fx.session!, { decision: "allow", scopes: ["email", "profile", "openid"] });
    expect(fx.interactions.interactions.get(id)!.grantedScopes).toEqual(["openid", "profile", "email"]);
  });

  it("only requested scopes can be granted", async () => {
    const fx = createAuthorizeFixture();
    const id = await consentInteraction(fx, "web-app", "openid profile");
    await recordConsentDecision(fx.consentDeps, id, fx.session!, { decision: "allow", scopes: ["openid", "profile", "admin", "orders:read", "email"] });
    expect(fx.interactions.interactions.get(id)!.grantedScopes).toEqual(["openid", "profile"]);
    const saved = await fx.authorizations.findPermanentAuthorization(fx.user.id, (await fx.clientRow("web-app")).id);
    expect(saved!.scopes).toEqual(["openid", "profile"]);
  });

  it("openid is always kept, even when the form leaves it out", async () => {
    const fx = createAuthorizeFixture();
    const id = await consentInteraction(fx, "web-app", "openid profile email");
    await recordConsentDecision(fx.consentDeps, id, fx.session!, { decision: "allow", scopes: ["email"] });
    expect(fx.interactions.interactions.get(id)!.grantedScopes).toEqual(["openid", "email"]);
  });

  it("openid is not added when it was not requested", async () => {
    const fx = createAuthorizeFixture();
    const id = await consentInteraction(fx, "web-app", "profile email");
    await recordConsentDecision(fx.consentDeps, id, fx.session!, { decision: "allow", scopes: ["openid", "email"] });
    expect(fx.interactions.interactions.get(id)!.grantedScopes).toEqual(["email"]);
  });

  it("explicit consent is remembered as a permanent authorization, extending an earlier one", async () => {
    const fx = createAuthorizeFixture();
    const clientRowId = (await fx.clientRow("web-app")).id;
    await fx.authorizations.savePermanentAuthorization(fx.user.id, clientRowId, ["openid", "orders:read"]);
    const id = await consentInteraction(fx, "web-app", "openid profile");
    await recordConsentDecision(fx.consentDeps, id, fx.session!, { decision: "allow", scopes: ["profile"] });
    const saved = await fx.authorizations.findPermanentAuthorization(fx.user.id, clientRowId);
    expect(saved!.scopes.sort()).toEqual(["openid", "orders:read", "profile"]);
    expect(fx.authorizations.authorizations).toHaveLength(1);
  });

  it("systematic consent is not remembered", async () => {
    const fx = createAuthorizeFixture();
    const id = await consentInteraction(fx, "systematic-app", "openid profile");
    await recordConsentDecision(fx.consentDeps, id, fx.session!, { decision: "allow", scopes: ["profile"] });
    expect(fx.interactions.interactions.get(id)!.grantedScopes).toEqual(["openid", "profile"]);
    expect(fx.authorizations.authorizations).toHaveLength(0);
  });

  it("a denial is recorded and saves no authorization", async () => {
    const fx = createAuthorizeFixture();
    const id = await consentInteraction(fx);
    const outcome = await recordConsentDecision(fx.consentDeps, id, fx.session!, { decision: "deny" });
    expect(outcome).toEqual({ status: "recorded", location: `${ISSUER}/connect/authorize?interaction=${id}` });
    const stored = fx.interactions.interactions.get(id)!;
    expect(stored.consent).toBe("denied");
    expect(stored.grantedScopes).toEqual([]);
    expect(fx.authorizations.authorizations).toHaveLength(0);
  });

  it("another user's interaction is not_found and stays untouched", async () => {
    const fx = createAuthorizeFixture();
    const id = await consentInteraction(fx);
    const choices: ConsentDecision[] = [{ decision: "allow", scopes: ["openid"] }, { decision: "deny" }];
    for (const choice of choices) {
      expect(await recordConsentDecision(fx.consentDeps, id, makeSession(fx.otherUser), choice)).toEqual({ status: "not_found" });
    }
    const stored = fx.interactions.interactions.get(id)!;
    expect(stored.consent).toBeNull();
    expect(fx.authorizations.authorizations).toHaveLength(0);
  });

  it("an interaction still waiting for sign-in is not_found", async () => {
    const fx = createAuthorizeFixture();
    const id = redirectLocation(await fx.get(codeRequestParams("web-app", WEB_CALLBACK))).searchParams.get("interaction")!;
    expect(await recordConsentDecision(fx.consentDeps, id, makeSession(fx.user), { decision: "allow", scopes: ["openid"] })).toEqual({ status: "not_found" });
    // Nor by the id inside the seal: no row exists until a signed-in user needs the consent page.
    const sealedId = fx.openSealed(id)!.id;
    expect(await recordConsentDecision(fx.consentDeps, sealedId, makeSession(fx.user), { decision: "allow", scopes: ["openid"] })).toEqual({ status: "not_found" });
    expect(fx.interactions.interactions.size).toBe(0);
  });

  it.each(["", "A".repeat(43), "A".repeat(44)])("an unknown or malformed id (%s) is not_found", async (id) => {
    const fx = createAuthorizeFixture();
    await consentInteraction(fx);
    expect(await recordConsentDecision(fx.consentDeps, id, fx.session!, { decision: "deny" })).toEqual({ status: "not_found" });
  });

  it("an expired interaction is not_found", async () => {
    const fx = createAuthorizeFixture();
    const id = await consentInteraction(fx);
    fx.clock.advance(INTERACTION_LIFETIME + 1);
    expect(await recordConsentDecision(fx.consentDeps, id, fx.session!, { decision: "allow", scopes: ["openid"] })).toEqual({ status: "not_found" });
    expect(fx.authorizations.authorizations).toHaveLength(0);
  });

  it("a removed client is not_found", async () => {
    const fx = createAuthorizeFixture();
    const id = await consentInteraction(fx);
    fx.clients.clients.delete("web-app");
    expect(await recordConsentDecision(fx.consentDeps, id, fx.session!, { decision: "allow", scopes: ["openid"] })).toEqual({ status: "not_found" });
    expect(fx.authorizations.authorizations).toHaveLength(0);
  });
});

describe("consent: authorizationResumeUrl", () => {
  it("points at the authorization endpoint under the issuer, also with a path", () => {
    const id = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456";
    expect(authorizationResumeUrl({ issuer: ISSUER }, id)).toBe(`${ISSUER}/connect/authorize?interaction=${id}`);
    expect(authorizationResumeUrl({ issuer: "https://id.example.test/tenant-a" }, id)).toBe(
      `https://id.example.test/tenant-a/connect/authorize?interaction=${id}`,
    );
  });
});

describe("consent: the audit log", () => {
  const IP = "198.51.100.23";

  it("allowing records consent.granted: the user as actor, the client, the address and the granted scopes", async () => {
    const fx = createAuthorizeFixture();
    const id = await consentInteraction(fx, "web-app", "openid profile email");
    await recordConsentDecision(fx.consentDeps, id, fx.session!, { decision: "allow", scopes: ["openid", "email"] }, IP);
    expect(fx.audit.events).toEqual([
      {
        kind: "consent.granted",
        actor: fx.user.id,
        userId: fx.user.id,
        clientId: "web-app",
        ip: IP,
        details: { scopes: ["openid", "email"], declined: ["profile"], remembered: true },
      },
    ]);
  });

  it("systematic consent is recorded as not remembered", async () => {
    const fx = createAuthorizeFixture();
    const id = await consentInteraction(fx, "systematic-app", "openid profile");
    await recordConsentDecision(fx.consentDeps, id, fx.session!, { decision: "allow", scopes: ["profile"] });
    expect(fx.audit.ofKind("consent.granted")).toEqual([
      expect.objectContaining({ clientId: "systematic-app", ip: null, details: { scopes: ["openid", "profile"], remembered: false } }),
    ]);
  });

  it("denying records consent.denied with what was requested", async () => {
    const fx = createAuthorizeFixture();
    const id = await consentInteraction(fx, "web-app", "openid profile");
    await recordConsentDecision(fx.consentDeps, id, fx.session!, { decision: "deny" }, IP);
    expect(fx.audit.events).toEqual([
      { kind: "consent.denied", actor: fx.user.id, userId: fx.user.id, clientId: "web-app", ip: IP, details: { requested: ["openid", "profile"] } },
    ]);
  });

  it("a decision that is not_found records nothing", async () => {
    const fx = createAuthorizeFixture();
    const id = await consentInteraction(fx);
    await recordConsentDecision(fx.consentDeps, id, makeSession(fx.otherUser), { decision: "allow", scopes: ["openid"] });
    fx.clients.clients.delete("web-app");
    await recordConsentDecision(fx.consentDeps, id, fx.session!, { decision: "allow", scopes: ["openid"] });
    expect(fx.audit.events).toEqual([]);
  });

  it("implicit consent (no screen) is recorded once at the authorization endpoint, with implicit=true", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    const first = await fx.get(codeRequestParams("spa", SPA_CALLBACK, { scope: "openid profile" }), { [TEST_ADDRESS_HEADER]: IP });
    expect(redirectLocation(first).searchParams.get("code")).toBeTruthy();
    expect(fx.audit.events).toEqual([
      { kind: "consent.granted", userId: fx.user.id, clientId: "spa", ip: IP, details: { scopes: ["openid", "profile"], implicit: true } },
    ]);
    // Covered by the consent now on record: nothing new to record.
    await fx.get(codeRequestParams("spa", SPA_CALLBACK, { scope: "openid" }));
    expect(fx.audit.events).toHaveLength(1);
    // A wider request extends it, and that is recorded.
    await fx.get(codeRequestParams("spa", SPA_CALLBACK, { scope: "openid email" }));
    expect(fx.audit.ofKind("consent.granted").map((event) => event.details)).toEqual([
      { scopes: ["openid", "profile"], implicit: true },
      { scopes: ["openid", "email"], implicit: true },
    ]);
  });

  it("remembered explicit consent is not a new decision: nothing is recorded", async () => {
    const fx = createAuthorizeFixture();
    fx.signIn();
    await fx.authorizations.savePermanentAuthorization(fx.user.id, (await fx.clientRow("web-app")).id, ["openid"]);
    const response = await fx.get(codeRequestParams("web-app", WEB_CALLBACK, { scope: "openid" }));
    expect(redirectLocation(response).searchParams.get("code")).toBeTruthy();
    expect(fx.audit.events).toEqual([]);
  });
});
