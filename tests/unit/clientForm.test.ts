// lib/forms/clientForm.ts: the redirect URI rules (RFC 9700 §2.6 / §4.1.3,
// RFC 8252 §7), the grant / type rules, and the mapping from the form's
// choices to the permission strings lib/oauth enforces.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  NEW_CLIENT_DEFAULTS,
  clientFormSchema,
  clientFormValuesFromClient,
  clientPermissions,
  clientRequirements,
  clientSettingsFromForm,
  describeDuration,
  mergePermissions,
  redirectUriProblem,
  splitLines,
  updateClientSchema,
  LIFETIME_FIELDS,
  SIGNING_ALGORITHM_CHOICES,
  type ClientFormValues,
} from "@/lib/forms/clientForm";
import { AUTHORIZATION_CODE_MAX_LIFETIME } from "@/lib/oauth/authorize";
import { resolveClientScopes } from "@/lib/oauth/scopes";
import { SUPPORTED_SIGNING_ALGORITHMS } from "@/lib/oauth/signingKeys";
import { makeClient, makeScope, InMemoryScopeStore } from "./fakes";

/** A valid public SPA registration; each test changes what it is about. */
function spa(overrides: Partial<ClientFormValues> = {}): ClientFormValues {
  return {
    ...NEW_CLIENT_DEFAULTS,
    displayName: "My SPA",
    redirectUris: "https://app.example.com/callback",
    scopes: ["profile"],
    ...overrides,
  };
}

function fieldErrors(values: unknown, schema: z.ZodType = clientFormSchema): Record<string, string[]> {
  const result = schema.safeParse(values);
  if (result.success) return {};
  return z.flattenError(result.error).fieldErrors as Record<string, string[]>;
}

describe("redirectUriProblem", () => {
  it.each([
    "https://app.example.com/callback",
    "https://app.example.com/cb?tenant=a",
    "https://app.example.com:8443/",
    "http://localhost:5173/callback",
    "http://127.0.0.1:49152/callback",
    "http://[::1]:8080/callback",
    "http://127.0.0.1/callback",
    "com.example.app:/callback",
    "com.example.app://oauth2redirect",
    "io.github.someone.tool:/cb",
  ])("BCP-01 accepts %s", (uri) => {
    expect(redirectUriProblem(uri)).toBeNull();
  });

  it.each([
    ["a non-loopback http URI (BCP-07)", "http://app.example.com/callback", /uses http; use https/],
    ["http on a host that only starts like localhost", "http://localhost.evil.example/callback", /uses http/],
    ["http on 127.0.0.1 inside a longer host name", "http://127.0.0.1.nip.io/callback", /uses http/],
    ["a fragment", "https://app.example.com/callback#done", /fragment/],
    ["an empty fragment", "https://app.example.com/callback#", /fragment/],
    ["a relative path", "/callback", /not an absolute URL/],
    ["a scheme-relative URL", "//app.example.com/callback", /not an absolute URL/],
    ["javascript:", "javascript:alert(1)", /scheme javascript:/],
    ["JavaScript: in capitals", "JavaScript:alert(document.cookie)", /scheme javascript:/],
    ["data:", "data:text/html,<script>alert(1)</script>", /scheme data:/],
    ["a private-use scheme without a dot", "myapp:/callback", /scheme myapp:.*reverse-domain/],
    ["file:", "file:///etc/passwd", /scheme file:/],
    ["a wildcard", "https://*.example.com/callback", /wildcard/],
    ["credentials in the URL", "https://user:pass@app.example.com/callback", /user name or password/],
    ["spaces", "https://app.example.com/call back", /spaces/],
    ["https without a host", "https:///callback", /no host/],
    ["a backslash for a slash", "https:\\\\app.example.com/cb", /no host|not an absolute/],
  ])("refuses %s", (_label, uri, message) => {
    expect(redirectUriProblem(uri)).toMatch(message);
  });

  it("refuses absurdly long URIs", () => {
    expect(redirectUriProblem(`https://app.example.com/${"a".repeat(2100)}`)).toMatch(/longer than/);
  });
});

describe("clientFormSchema: redirect URI fields", () => {
  it("accepts a valid registration", () => {
    expect(clientFormSchema.safeParse(spa()).success).toBe(true);
  });

  it("names the offending line and what is wrong with it", () => {
    const errors = fieldErrors(spa({ redirectUris: "https://app.example.com/callback\njavascript:alert(1)" }));
    expect(errors.redirectUris?.[0]).toMatch(/^javascript:alert\(1\) uses the scheme javascript:.*\(line 2\)$/);
  });

  it.each([
    ["a fragment", "https://app.example.com/cb#x"],
    ["a relative URI", "callback"],
    ["plain http", "http://app.example.com/cb"],
  ])("refuses %s in post-logout redirect URIs too", (_label, uri) => {
    expect(fieldErrors(spa({ postLogoutRedirectUris: uri })).postLogoutRedirectUris).toHaveLength(1);
  });

  it("ignores blank lines and surrounding spaces, and refuses more than 20 URIs", () => {
    expect(clientFormSchema.safeParse(spa({ redirectUris: "\n  https://a.example.com/cb  \r\n\n" })).success).toBe(true);
    const many = Array.from({ length: 21 }, (_, index) => `https://app.example.com/cb${index}`).join("\n");
    expect(fieldErrors(spa({ redirectUris: many })).redirectUris?.[0]).toMatch(/at most 20/);
  });

  it("requires a redirect URI for the authorization code grant, not for client credentials", () => {
    expect(fieldErrors(spa({ redirectUris: "" })).redirectUris?.[0]).toMatch(/at least one redirect URI/);
    const service = spa({ clientType: "confidential", grantTypes: ["client_credentials"], redirectUris: "", scopes: [] });
    expect(clientFormSchema.safeParse(service).success).toBe(true);
  });

  it("keeps the URIs exactly as typed (authorize compares strings exactly)", () => {
    const parsed = clientFormSchema.parse(spa({ redirectUris: "https://App.Example.com\nhttps://App.Example.com\ncom.example.app:/cb" }));
    expect(clientSettingsFromForm(parsed).redirectUris).toEqual(["https://App.Example.com", "com.example.app:/cb"]);
  });
});

describe("clientFormSchema: grant and type rules", () => {
  it("CC-04: client credentials only for a confidential client", () => {
    const errors = fieldErrors(spa({ grantTypes: ["authorization_code", "client_credentials"] }));
    expect(errors.grantTypes?.[0]).toMatch(/confidential client/);
    expect(clientFormSchema.safeParse(spa({ clientType: "confidential", grantTypes: ["authorization_code", "client_credentials"] })).success).toBe(true);
  });

  it("at least one grant type", () => {
    expect(fieldErrors(spa({ grantTypes: [] })).grantTypes?.[0]).toMatch(/at least one grant type/);
  });

  it("refresh_token only with authorization_code, and with offline_access (both ways)", () => {
    expect(fieldErrors(spa({ clientType: "confidential", grantTypes: ["client_credentials", "refresh_token"], scopes: ["offline_access"] })).grantTypes?.[0]).toMatch(
      /Authorization code too/,
    );
    expect(fieldErrors(spa({ grantTypes: ["authorization_code", "refresh_token"], scopes: ["profile"] })).scopes?.[0]).toMatch(/Tick offline_access/);
    expect(fieldErrors(spa({ grantTypes: ["authorization_code"], scopes: ["offline_access"] })).scopes?.[0]).toMatch(/needs the Refresh token grant/);
    expect(clientFormSchema.safeParse(spa({ grantTypes: ["authorization_code", "refresh_token"], scopes: ["offline_access"] })).success).toBe(true);
  });

  it("post-logout redirect URIs only for clients that sign users in", () => {
    const service = spa({ clientType: "confidential", grantTypes: ["client_credentials"], redirectUris: "", postLogoutRedirectUris: "https://app.example.com/" });
    expect(fieldErrors(service).postLogoutRedirectUris?.[0]).toMatch(/sign users in/);
  });

  it("refuses unknown grant types, client types and consent types", () => {
    expect(fieldErrors({ ...spa(), grantTypes: ["password"] }).grantTypes).toBeDefined();
    expect(fieldErrors({ ...spa(), clientType: "private" }).clientType?.[0]).toMatch(/public or confidential/);
    expect(fieldErrors({ ...spa(), consentType: "never" }).consentType).toBeDefined();
  });

  it("client IDs: chosen (URL-safe, 3 to 100 characters) or empty", () => {
    expect(clientFormSchema.safeParse(spa({ clientId: "" })).success).toBe(true);
    expect(clientFormSchema.safeParse(spa({ clientId: "my-app.v2_test~1" })).success).toBe(true);
    for (const bad of ["ab", "has space", "slash/no", "ünï", "x".repeat(101)]) {
      expect(fieldErrors(spa({ clientId: bad })).clientId, bad).toHaveLength(1);
    }
  });

  it("a display name is required and free of control characters", () => {
    expect(fieldErrors(spa({ displayName: "   " })).displayName).toHaveLength(1);
    expect(fieldErrors(spa({ displayName: "Bad\u0007" })).displayName).toHaveLength(1);
  });

  it("lifetimes: empty, or whole seconds within each field's bounds; absolute not below sliding", () => {
    expect(clientFormSchema.safeParse(spa({ accessTokenLifetime: "900", idTokenLifetime: "" })).success).toBe(true);
    for (const bad of ["59", "86401", "1.5", "-60", "abc", "1e3"]) {
      expect(fieldErrors(spa({ accessTokenLifetime: bad })).accessTokenLifetime, bad).toHaveLength(1);
    }
    expect(fieldErrors(spa({ authorizationCodeLifetime: "61" })).authorizationCodeLifetime).toHaveLength(1);
    const refresh = { grantTypes: ["authorization_code", "refresh_token"] as ClientFormValues["grantTypes"], scopes: ["offline_access"] };
    expect(fieldErrors(spa({ ...refresh, refreshTokenLifetime: "86400", refreshTokenAbsoluteLifetime: "3600" })).refreshTokenAbsoluteLifetime?.[0]).toMatch(
      /cannot be shorter/,
    );
    expect(clientFormSchema.safeParse(spa({ ...refresh, refreshTokenLifetime: "3600", refreshTokenAbsoluteLifetime: "86400" })).success).toBe(true);
  });

  it("the code lifetime bound is the one lib/oauth/authorize.ts enforces", () => {
    expect(LIFETIME_FIELDS.authorizationCodeLifetime.max).toBe(AUTHORIZATION_CODE_MAX_LIFETIME);
  });

  it("parsing is idempotent: the browser's parsed values pass the server's parse unchanged", () => {
    const once = clientFormSchema.parse(spa({ displayName: "  Padded  ", accessTokenLifetime: " 600 " }));
    expect(clientFormSchema.parse(once)).toEqual(once);
    expect(once.displayName).toBe("Padded");
  });

  it("the update schema needs the client's id and applies the same rules", () => {
    const { clientId: _ignored, ...fields } = spa();
    expect(updateClientSchema.safeParse({ ...fields, id: "00000000-0000-4000-8000-000000000001" }).success).toBe(true);
    expect(fieldErrors({ ...fields, id: "not-a-uuid" }, updateClientSchema).id).toHaveLength(1);
    expect(fieldErrors({ ...fields, id: "00000000-0000-4000-8000-000000000001", grantTypes: ["client_credentials"] }, updateClientSchema).grantTypes).toHaveLength(1);
  });
});

describe("form → permissions", () => {
  const settings = (values: ClientFormValues) => clientSettingsFromForm(clientFormSchema.parse(values));

  it("a public SPA with refresh tokens gets what /connect/authorize and /connect/token check, and no introspection", () => {
    const permissions = clientPermissions(settings(spa({ grantTypes: ["authorization_code", "refresh_token"], scopes: ["profile", "offline_access", "api"] })));
    expect(permissions.sort()).toEqual(
      [
        "ept:authorization",
        "ept:logout",
        "ept:revocation",
        "ept:token",
        "gt:authorization_code",
        "gt:refresh_token",
        "rst:code",
        "scp:api",
        "scp:offline_access",
        "scp:openid",
        "scp:profile",
      ].sort(),
    );
  });

  it("a confidential service with client credentials: token, revocation and introspection endpoints, no authorization endpoint", () => {
    const permissions = clientPermissions(settings(spa({ clientType: "confidential", grantTypes: ["client_credentials"], redirectUris: "", scopes: ["api"] })));
    expect(permissions.sort()).toEqual(["ept:introspection", "ept:revocation", "ept:token", "gt:client_credentials", "scp:api"].sort());
  });

  it("openid is never stored as a scope choice of its own; it comes with the authorization code grant", () => {
    const parsed = settings(spa({ scopes: ["openid", "profile"] }));
    expect(parsed.scopes).toEqual(["profile"]);
    expect(clientPermissions(parsed).filter((permission) => permission === "scp:openid")).toHaveLength(1);
  });

  it("the mapped client passes the core's scope checks for what it was given, and only that", async () => {
    const scopes = new InMemoryScopeStore([makeScope("openid"), makeScope("profile"), makeScope("email"), makeScope("api", ["urn:api"])]);
    const client = makeClient({ permissions: clientPermissions(settings(spa({ scopes: ["profile", "api"] }))) });
    await expect(resolveClientScopes(client, ["openid", "profile", "api"], scopes)).resolves.toMatchObject({ audiences: ["urn:api"] });
    await expect(resolveClientScopes(client, ["email"], scopes)).rejects.toMatchObject({ code: "invalid_scope" });
  });

  it("an update keeps permissions the form does not manage and replaces those it does", () => {
    const merged = mergePermissions(["ept:token", "gt:client_credentials", "scp:old", "custom:feature"], ["ept:token", "gt:authorization_code"]);
    expect(merged).toEqual(["ept:token", "gt:authorization_code", "custom:feature"]);
  });

  it("PKCE is always required: ft:pkce is stored for every client, other requirements are kept", () => {
    expect(clientRequirements()).toEqual(["ft:pkce"]);
    expect(clientRequirements(["ft:pkce", "ft:other"])).toEqual(["ft:pkce", "ft:other"]);
  });

  it("lifetimes: empty means the server default (null), digits become seconds", () => {
    expect(settings(spa({ accessTokenLifetime: "900" })).lifetimes).toEqual({
      accessTokenLifetime: 900,
      authorizationCodeLifetime: null,
      idTokenLifetime: null,
      refreshTokenLifetime: null,
      refreshTokenAbsoluteLifetime: null,
    });
  });

  it("a stored client reads back into the same form values (round trip)", () => {
    const values = spa({
      grantTypes: ["authorization_code", "refresh_token"],
      scopes: ["offline_access", "profile"],
      postLogoutRedirectUris: "https://app.example.com/",
      idTokenLifetime: "600",
      idTokenSigningAlg: "ES256",
    });
    const stored = settings(values);
    expect(stored.signingAlgorithms).toEqual({ idTokenSigningAlg: "ES256", accessTokenSigningAlg: null });
    const client = makeClient({
      clientType: stored.clientType,
      consentType: stored.consentType,
      displayName: stored.displayName,
      redirectUris: stored.redirectUris,
      postLogoutRedirectUris: stored.postLogoutRedirectUris,
      permissions: clientPermissions(stored),
      ...stored.lifetimes,
      ...stored.signingAlgorithms,
    });
    const back = clientFormValuesFromClient(client);
    expect(back).toEqual({ ...values, clientId: "" });
    expect(clientFormSchema.safeParse(back).success).toBe(true);
  });

  it("the seeded demo clients read back into valid form values", () => {
    const seededSpa = makeClient({
      clientType: "public",
      redirectUris: ["http://localhost:5173/callback"],
      postLogoutRedirectUris: ["http://localhost:5173/"],
      permissions: ["ept:authorization", "ept:token", "ept:logout", "ept:revocation", "gt:authorization_code", "gt:refresh_token", "rst:code", "scp:profile", "scp:email", "scp:offline_access", "scp:api"],
    });
    const values = clientFormValuesFromClient(seededSpa);
    expect(values.grantTypes).toEqual(["authorization_code", "refresh_token"]);
    expect(clientFormSchema.safeParse({ ...values, displayName: "Demo" }).success).toBe(true);
  });
});

describe("signing algorithms", () => {
  it("IT-02 empty means the server default, stored as null; RS256 and ES256 are stored as chosen", () => {
    const settings = (values: ClientFormValues) => clientSettingsFromForm(clientFormSchema.parse(values));
    expect(settings(spa({})).signingAlgorithms).toEqual({ idTokenSigningAlg: null, accessTokenSigningAlg: null });
    expect(settings(spa({ idTokenSigningAlg: "RS256", accessTokenSigningAlg: "ES256" })).signingAlgorithms).toEqual({
      idTokenSigningAlg: "RS256",
      accessTokenSigningAlg: "ES256",
    });
  });

  it.each(["none", "HS256", "PS256", "es256"])("an algorithm the server has no key for (%s) is refused on the field", (alg) => {
    const result = clientFormSchema.safeParse(spa({ idTokenSigningAlg: alg as "ES256" }));
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((issue) => issue.path.join("."))).toEqual(["idTokenSigningAlg"]);
  });

  it("every choice the form offers is an algorithm the server signs with", () => {
    expect(SIGNING_ALGORITHM_CHOICES.map((choice) => choice.value).filter(Boolean)).toEqual([...SUPPORTED_SIGNING_ALGORITHMS]);
  });
});

describe("helpers", () => {
  it("splitLines trims, drops blanks and repeats", () => {
    expect(splitLines(" a \r\n\nb\na\n")).toEqual(["a", "b"]);
  });

  it("describeDuration", () => {
    expect(describeDuration(3600)).toBe("1 hour");
    expect(describeDuration(14 * 24 * 3600)).toBe("14 days");
    expect(describeDuration(90)).toBe("90 seconds");
    expect(describeDuration(600)).toBe("10 minutes");
  });
});
