// Issue #13 item 6 over HTTP against the built server: the management API
// (/api/v1). Who may call it (a client an admin marked on its dashboard page,
// with a client_credentials token for gatehouse:admin, audience {issuer}/api/v1),
// every operation refused to everyone else, and each operation doing what the
// dashboard does, answering RFC 9457 problems for bad input.
import { randomUUID } from "node:crypto";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createScope, uniqueName } from "../helpers/adminRecords";
import { authorizeUrl, DEMO_USER, exchangeCode, newPkce } from "../helpers/codeFlow";
import { automationClient, callApi as callApiOnce, managementToken, MANAGEMENT_SCOPE, requestToken, setManagementApi, type ApiAnswer } from "../helpers/managementApi";
import { basicAuthorization, postForm, postmanToken } from "../helpers/oauth";
import { completeAuthorization, signedInCookie, signInOverHttp } from "../helpers/portal";
import { TEST_ADMIN_PASSWORD } from "../helpers/server";
import { callServerAction } from "../helpers/serverActions";
import { sharedSeededServer } from "../helpers/sharedServer";

let suite: Awaited<ReturnType<typeof sharedSeededServer>>;
let base: string;
let admin: string;
let caller: Awaited<ReturnType<typeof automationClient>>;
let token: string;

beforeAll(async () => {
  suite = await sharedSeededServer();
  base = suite.server.url;
  admin = await signedInCookie(base, "admin", TEST_ADMIN_PASSWORD);
  caller = await automationClient(base, admin);
  token = await managementToken(base, caller);
});
afterAll(async () => {
  await suite?.stop();
});

/** "METHOD /concrete/path" of every call that succeeded (2xx), for the check that every operation was exercised. */
const succeeded: string[] = [];

async function callApi<T = Record<string, unknown>>(...args: Parameters<typeof callApiOnce>): Promise<ApiAnswer<T>> {
  const answer = await callApiOnce<T>(...args);
  if (answer.status < 300) succeeded.push(`${args[2]} ${args[3].split("?")[0]}`);
  return answer;
}

interface Operation {
  method: string;
  path: string;
}

/** Every operation the OpenAPI document lists, with sample path values (refusals come before any lookup). */
async function everyOperation(): Promise<Operation[]> {
  const { body } = await callApi<{ paths: Record<string, Record<string, unknown>> }>(base, null, "GET", "/openapi.json");
  const samples: Record<string, string> = { client_id: "postman", id: randomUUID(), name: "api", kid: "some-kid" };
  return Object.entries(body.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => ({
      method: method.toUpperCase(),
      path: path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(samples[name] ?? "x")),
    })),
  );
}

function bearerError(challenge: string | null): string | null {
  return /error="([^"]+)"/.exec(challenge ?? "")?.[1] ?? null;
}

describe("who may get a management token", () => {
  test("a marked client gets gatehouse:admin for the API's audience only", async () => {
    const claims = decodeJwt(token);
    expect(claims.scope).toBe(MANAGEMENT_SCOPE);
    expect(claims.aud).toBe(`${base}/api/v1`);
    expect(claims.client_id).toBe(caller.clientId);
  });

  test("an unmarked client is refused the scope (invalid_scope)", async () => {
    const unmarked = await automationClient(base, admin, { marked: false });
    const response = await requestToken(base, unmarked);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "invalid_scope" });
  });

  test("gatehouse:admin with another scope is refused: the token would be meant for two audiences", async () => {
    const response = await requestToken(base, caller, `${MANAGEMENT_SCOPE} api`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "invalid_scope" });
  });

  test("the authorization code flow never grants it, not even to a marked client", async () => {
    const { cookie } = await signInOverHttp(base, DEMO_USER.username, DEMO_USER.password);
    const response = await fetch(authorizeUrl(base, { clientId: "spa", redirectUri: "http://localhost:5173/callback", scope: `openid ${MANAGEMENT_SCOPE}`, pkce: newPkce(), state: "s" }), {
      redirect: "manual",
      headers: { cookie },
    });
    const location = new URL(response.headers.get("location") ?? "", base);
    expect(location.searchParams.get("error")).toBe("invalid_scope");
    expect(location.searchParams.get("code")).toBeNull();
  });

  test("no administrator can create a scope named gatehouse:…", async () => {
    const call = await callServerAction(base, {
      page: "/dashboard/scopes/new",
      filename: "app/dashboard/scopes/actions.ts",
      exportedName: "createScopeAction",
      input: { name: "gatehouse:admin", displayName: "Impostor", description: "", resources: "", claims: [], accessTokenClaims: [] },
      cookie: admin,
    });
    expect(call.result).toMatchObject({ ok: false, status: 400, fieldErrors: { name: [expect.stringContaining("reserved")] } });
  });
});

describe("every operation refuses every caller but a marked client's gatehouse:admin token", () => {
  test("no token: 401 with a Bearer challenge and no error code (RFC 6750 §3.1)", async () => {
    for (const { method, path } of await everyOperation()) {
      const answer = await callApi(base, null, method, path, method === "GET" || method === "DELETE" ? undefined : {});
      expect(answer.status, `${method} ${path}`).toBe(401);
      expect(answer.headers.get("www-authenticate"), `${method} ${path}`).toBe('Bearer realm="gatehouse"');
      expect(answer.headers.get("content-type")).toBe("application/problem+json");
      expect(answer.body).toMatchObject({ type: "urn:gatehouse:problem:unauthorized", title: "Unauthorized", status: 401, detail: expect.any(String) });
    }
  });

  test("a token for another audience (postman's api scope), a forged one, and a revoked one: 401 invalid_token", async () => {
    const other = (await postmanToken(base)).access_token;
    const [header, payload] = token.split(".");
    const forged = `${header}.${payload}.${Buffer.from("not the signature").toString("base64url")}`;
    const revokedToken = await managementToken(base, caller);
    const revoked = await postForm(`${base}/connect/revoke`, {
      headers: { Authorization: basicAuthorization(caller.clientId, caller.secret) },
      body: { token: revokedToken },
    });
    expect(revoked.status).toBe(200);
    for (const presented of [other, forged, revokedToken]) {
      for (const { method, path } of await everyOperation()) {
        const answer = await callApi(base, presented, method, path, method === "GET" || method === "DELETE" ? undefined : {});
        expect(answer.status, `${method} ${path}`).toBe(401);
        expect(bearerError(answer.headers.get("www-authenticate")), `${method} ${path}`).toBe("invalid_token");
      }
    }
  });

  test("a token for the API's audience without gatehouse:admin: 403 insufficient_scope", async () => {
    // An admin could make a scope whose resource is the API: its tokens reach the API but lack the scope.
    const lookalike = await createScope(base, admin, "lookalike", { displayName: "Look-alike", resources: [`${base}/api/v1`] });
    const client = await automationClient(base, admin, { marked: false, scopes: [lookalike.name] });
    const response = await requestToken(base, client, lookalike.name);
    const { access_token } = (await response.json()) as { access_token: string };
    for (const { method, path } of await everyOperation()) {
      const answer = await callApi(base, access_token, method, path, method === "GET" || method === "DELETE" ? undefined : {});
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(bearerError(answer.headers.get("www-authenticate"))).toBe("insufficient_scope");
      expect(answer.headers.get("www-authenticate")).toContain(`scope="${MANAGEMENT_SCOPE}"`);
    }
  });

  test("a client whose mark was withdrawn, or that was disabled: its live tokens are refused (401 invalid_token)", async () => {
    const withdrawn = await automationClient(base, admin);
    const withdrawnToken = await managementToken(base, withdrawn);
    expect((await callApi(base, withdrawnToken, "GET", "/clients")).status).toBe(200);
    await setManagementApi(base, admin, withdrawn.id, false);
    const disabled = await automationClient(base, admin);
    const disabledToken = await managementToken(base, disabled);
    await callServerAction(base, {
      page: `/dashboard/clients/${disabled.id}`,
      filename: "app/dashboard/clients/actions.ts",
      exportedName: "setClientEnabled",
      input: { id: disabled.id, enabled: false },
      cookie: admin,
    });
    for (const presented of [withdrawnToken, disabledToken]) {
      for (const { method, path } of await everyOperation()) {
        const answer = await callApi(base, presented, method, path, method === "GET" || method === "DELETE" ? undefined : {});
        expect(answer.status, `${method} ${path}`).toBe(401);
        expect(bearerError(answer.headers.get("www-authenticate"))).toBe("invalid_token");
      }
    }
    expect((await requestToken(base, withdrawn)).status).toBe(400);
  });
});

describe("the API's own answers", () => {
  test("openapi.json is an OpenAPI 3.1 document listing every operation", async () => {
    const { status, body } = await callApi<{ openapi: string; paths: Record<string, unknown> }>(base, null, "GET", "/openapi.json");
    expect(status).toBe(200);
    expect(body.openapi).toBe("3.1.0");
    expect(Object.keys(body.paths)).toEqual(expect.arrayContaining(["/clients", "/clients/{client_id}", "/clients/{client_id}/secret"]));
  });

  test("unknown path: 404; wrong method: 405 with Allow; a method it never serves: 405 before any handler", async () => {
    expect((await callApi(base, token, "GET", "/nothing-here")).status).toBe(404);
    const wrong = await callApi(base, token, "PATCH", "/clients");
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET, POST, HEAD");
    const trace = await fetch(`${base}/api/v1/clients`, { method: "PROPFIND" });
    expect(trace.status).toBe(405);
    expect(trace.headers.get("content-type")).toBe("application/problem+json");
  });

  test("not JSON: 415; broken JSON: 400; never a 5xx", async () => {
    expect((await callApi(base, token, "POST", "/clients", "client_name=x", { "Content-Type": "application/x-www-form-urlencoded" })).status).toBe(415);
    const broken = await callApi(base, token, "POST", "/clients", "{not json");
    expect(broken.status).toBe(400);
    expect(broken.body).toMatchObject({ type: "urn:gatehouse:problem:invalid-input", status: 400 });
    expect((await callApi(base, token, "GET", "/clients?page=0")).status).toBe(400);
    expect((await callApi(base, token, "GET", "/clients/%E0%A4%A")).status).toBe(404);
  });
});

describe("clients", () => {
  const redirectUri = "http://localhost:5173/callback";

  test("create (RFC 7591 names), read, list, replace, rotate, delete — each audited with the calling client as actor", async () => {
    const clientId = uniqueName("api-made");
    const created = await callApi(base, token, "POST", "/clients", {
      client_id: clientId,
      client_name: "Made by the API",
      token_endpoint_auth_method: "client_secret_basic",
      grant_types: ["client_credentials"],
      scope: "api",
      access_token_lifetime: 600,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      client_id: clientId,
      client_name: "Made by the API",
      token_endpoint_auth_method: "client_secret_basic",
      grant_types: ["client_credentials"],
      response_types: [],
      scope: "api",
      access_token_lifetime: 600,
      enabled: true,
      gatehouse_management_api: false,
      client_secret: expect.any(String),
      client_secret_expires_at: 0,
    });
    const secret = created.body.client_secret as string;
    expect((await requestToken(base, { clientId, secret }, "api")).status).toBe(200);

    const read = await callApi(base, token, "GET", `/clients/${clientId}`);
    expect(read.status).toBe(200);
    expect(read.body).not.toHaveProperty("client_secret");
    expect(read.body).toMatchObject({ client_id: clientId, id: created.body.id });

    const listed = await callApi<{ clients: { client_id: string }[] }>(base, token, "GET", `/clients?search=${clientId}`);
    expect(listed.body.clients.map((client) => client.client_id)).toEqual([clientId]);

    const replaced = await callApi(base, token, "PUT", `/clients/${clientId}`, {
      client_name: "Renamed",
      token_endpoint_auth_method: "client_secret_post",
      grant_types: ["client_credentials"],
      scope: "",
      enabled: false,
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ client_name: "Renamed", scope: "", enabled: false, access_token_lifetime: null });
    expect(replaced.body).not.toHaveProperty("client_secret");
    await callApi(base, token, "PUT", `/clients/${clientId}`, { client_name: "Renamed", grant_types: ["client_credentials"], enabled: true });

    const rotated = await callApi(base, token, "POST", `/clients/${clientId}/secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({ client_id: clientId, client_secret: expect.any(String) });
    expect((await requestToken(base, { clientId, secret }, "")).status).toBe(401);
    expect((await requestToken(base, { clientId, secret: rotated.body.client_secret as string }, "")).status).toBe(200);

    expect((await callApi(base, token, "DELETE", `/clients/${clientId}`)).status).toBe(204);
    expect((await callApi(base, token, "GET", `/clients/${clientId}`)).status).toBe(404);
    expect((await callApi(base, token, "DELETE", `/clients/${clientId}`)).status).toBe(404);

    const audit = await callApi<{ events: { kind: string; actor: string; client_id: string }[] }>(base, token, "GET", `/audit-events?client=${clientId}&prefix=admin.`);
    expect(audit.status).toBe(200);
    expect(audit.body.events.map((event) => event.kind).sort()).toEqual(
      ["admin.client.created", "admin.client.deleted", "admin.client.disabled", "admin.client.enabled", "admin.client.secret_rotated", "admin.client.updated", "admin.client.updated"].sort(),
    );
    for (const event of audit.body.events) expect(event.actor).toBe(`client:${caller.clientId}`);
  });

  test("the dashboard form's rules, under the RFC 7591 names: each invalid field listed", async () => {
    const answer = await callApi<{ errors: { pointer: string; detail: string }[] }>(base, token, "POST", "/clients", {
      client_name: "",
      token_endpoint_auth_method: "none",
      grant_types: ["client_credentials"],
      redirect_uris: ["http://example.com/callback"],
    });
    expect(answer.status).toBe(400);
    expect(answer.headers.get("content-type")).toBe("application/problem+json");
    const pointers = answer.body.errors.map((error) => error.pointer);
    expect(pointers).toEqual(expect.arrayContaining(["#/client_name", "#/grant_types"]));
    expect(answer.body.errors.find((error) => error.pointer === "#/grant_types")?.detail).toContain("confidential");

    const badUri = await callApi<{ errors: { pointer: string; detail: string }[] }>(base, token, "POST", "/clients", {
      client_name: "x",
      token_endpoint_auth_method: "none",
      redirect_uris: ["http://example.com/callback"],
    });
    expect(badUri.body.errors).toEqual([{ pointer: "#/redirect_uris", detail: expect.stringContaining("uses http") }]);

    const unknownField = await callApi<{ errors: { pointer: string }[] }>(base, token, "POST", "/clients", { client_name: "x", client_uri: "https://x" });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.errors).toEqual([{ pointer: "#/client_uri", detail: "Unknown field client_uri." }]);
    const unknownParameter = await callApi<{ errors: { parameter: string }[] }>(base, token, "GET", "/clients?serch=x");
    expect(unknownParameter.status).toBe(400);
    expect(unknownParameter.body.errors).toEqual([{ parameter: "serch", detail: "Unknown parameter serch." }]);

    const taken = await callApi<{ errors: { pointer: string }[] }>(base, token, "POST", "/clients", {
      client_id: "postman",
      client_name: "Second postman",
      grant_types: ["client_credentials"],
    });
    expect(taken.status).toBe(409);
    expect(taken.body.errors.map((error) => error.pointer)).toEqual(["#/client_id"]);

    const mismatch = await callApi(base, token, "POST", "/clients", {
      client_name: "x",
      token_endpoint_auth_method: "none",
      redirect_uris: [redirectUri],
      response_types: [],
    });
    expect(mismatch.status).toBe(400);
  });

  test("a public client made by the API signs a user in with code + PKCE", async () => {
    const clientId = uniqueName("api-spa");
    const created = await callApi(base, token, "POST", "/clients", {
      client_id: clientId,
      client_name: "API-made SPA",
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code"],
      redirect_uris: [redirectUri],
      scope: "profile",
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ response_types: ["code"], scope: "openid profile" });
    expect(created.body).not.toHaveProperty("client_secret");
    const { cookie } = await signInOverHttp(base, DEMO_USER.username, DEMO_USER.password);
    const pkce = newPkce();
    const callback = await completeAuthorization(base, cookie, authorizeUrl(base, { clientId, redirectUri, scope: "openid profile", pkce, state: "st" }));
    const code = callback.searchParams.get("code");
    expect(code).toBeTruthy();
    const exchanged = await exchangeCode(base, { clientId, code: code!, verifier: pkce.verifier, redirectUri });
    expect(exchanged.status).toBe(200);
    expect(await exchanged.json()).toMatchObject({ token_type: "Bearer", id_token: expect.any(String) });

    // Alice's consent, withdrawn from the client's side: it and the tokens under it.
    const consents = await callApi<{ authorizations: { id: string; live_tokens: number }[] }>(base, token, "GET", `/clients/${clientId}/authorizations`);
    expect(consents.body.authorizations).toHaveLength(1);
    const revoked = await callApi(base, token, "DELETE", `/clients/${clientId}/authorizations/${consents.body.authorizations[0]!.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked_tokens).toBeGreaterThanOrEqual(1);
    expect((await callApi<{ tokens: unknown[] }>(base, token, "GET", `/clients/${clientId}/tokens`)).body.tokens).toEqual([]);
  });
});

describe("scopes", () => {
  test("create, read, list, replace, delete — refused while a client may request it, and for standard scopes", async () => {
    const name = uniqueName("api-scope");
    const created = await callApi(base, token, "POST", "/scopes", {
      name,
      display_name: "Orders",
      description: "Read your orders",
      resources: ["https://orders.example.com"],
      claims: ["email"],
      access_token_claims: ["email"],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name, display_name: "Orders", resources: ["https://orders.example.com"], standard: false });

    const replaced = await callApi(base, token, "PUT", `/scopes/${name}`, { display_name: "Orders (read)", resources: ["https://orders.example.com"] });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ display_name: "Orders (read)", description: "", claims: [] });
    const listed = await callApi<{ scopes: { name: string }[] }>(base, token, "GET", "/scopes");
    expect(listed.body.scopes.map((scope) => scope.name)).toContain(name);

    const clientId = uniqueName("scope-user");
    await callApi(base, token, "POST", "/clients", { client_id: clientId, client_name: "Uses it", grant_types: ["client_credentials"], scope: name });
    const read = await callApi(base, token, "GET", `/scopes/${name}`);
    expect(read.body).toMatchObject({ name, clients: [{ client_id: clientId, client_name: "Uses it" }] });
    const inUse = await callApi(base, token, "DELETE", `/scopes/${name}`);
    expect(inUse.status).toBe(409);
    expect(inUse.body.detail).toContain(clientId);
    await callApi(base, token, "DELETE", `/clients/${clientId}`);
    expect((await callApi(base, token, "DELETE", `/scopes/${name}`)).status).toBe(204);
    expect((await callApi(base, token, "GET", `/scopes/${name}`)).status).toBe(404);

    expect((await callApi(base, token, "DELETE", "/scopes/openid")).status).toBe(409);
    const audit = await callApi<{ events: { kind: string; actor: string }[] }>(base, token, "GET", "/audit-events?prefix=admin.scope.");
    expect(audit.body.events.filter((event) => event.actor === `client:${caller.clientId}`).map((event) => event.kind)).toEqual(
      expect.arrayContaining(["admin.scope.created", "admin.scope.updated", "admin.scope.deleted"]),
    );
  });

  test("the scope form's rules: a reserved name, access-token claims the scope does not release", async () => {
    const reserved = await callApi<{ errors: { pointer: string }[] }>(base, token, "POST", "/scopes", { name: "gatehouse:admin", display_name: "x" });
    expect(reserved.status).toBe(400);
    expect(reserved.body.errors.map((error) => error.pointer)).toEqual(["#/name"]);
    const claims = await callApi<{ errors: { pointer: string }[] }>(base, token, "POST", "/scopes", {
      name: uniqueName("claims"),
      display_name: "x",
      access_token_claims: ["email"],
    });
    expect(claims.body.errors.map((error) => error.pointer)).toEqual(["#/access_token_claims"]);
  });
});

describe("users", () => {
  test("create, read, list, replace, disable, enable, reset the password, admin role, delete", async () => {
    const username = uniqueName("api-user");
    const created = await callApi(base, token, "POST", "/users", { username, email: `${username}@example.net`, password: "first-password-123" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ username, email: `${username}@example.net`, email_verified: false, admin: false, enabled: true });
    expect(created.body).not.toHaveProperty("password");
    const id = created.body.id as string;

    const listed = await callApi<{ users: { id: string }[] }>(base, token, "GET", `/users?search=${username}`);
    expect(listed.body.users.map((user) => user.id)).toEqual([id]);
    expect((await callApi(base, token, "GET", `/users/${id}`)).body).toMatchObject({ id, active_sessions: 0, live_tokens: 0 });

    const disabled = await callApi(base, token, "PUT", `/users/${id}`, { username, email: `${username}@example.net`, name: "Named", enabled: false, admin: true });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ name: "Named", enabled: false, admin: true });
    expect((await signInOverHttp(base, username, "first-password-123")).cookie).toBe("");
    await callApi(base, token, "PUT", `/users/${id}`, { username, email: `${username}@example.net`, enabled: true, admin: false });

    expect((await callApi(base, token, "POST", `/users/${id}/password`, { password: "second-password-456" })).status).toBe(204);
    expect((await signInOverHttp(base, username, "second-password-456")).cookie).toBeTruthy();

    expect((await callApi(base, token, "DELETE", `/users/${id}`)).status).toBe(204);
    expect((await callApi(base, token, "GET", `/users/${id}`)).status).toBe(404);
    const audit = await callApi<{ events: { kind: string; actor: string }[] }>(base, token, "GET", `/audit-events?user=${id}&prefix=admin.`);
    expect(audit.body.events.map((event) => event.kind).sort()).toEqual(
      [
        "admin.user.created",
        "admin.user.updated",
        "admin.user.role_granted",
        "admin.user.disabled",
        "admin.user.updated",
        "admin.user.role_removed",
        "admin.user.enabled",
        "admin.user.password_reset",
        "admin.user.deleted",
      ].sort(),
    );
    for (const event of audit.body.events) expect(event.actor).toBe(`client:${caller.clientId}`);
  });

  test("the user forms' rules and conflicts, as problems", async () => {
    const short = await callApi<{ errors: { pointer: string }[] }>(base, token, "POST", "/users", { username: "x y", password: "short" });
    expect(short.status).toBe(400);
    expect(short.body.errors.map((error) => error.pointer).sort()).toEqual(["#/password", "#/username"]);
    const taken = await callApi<{ errors: { pointer: string }[] }>(base, token, "POST", "/users", { username: DEMO_USER.username, password: "long-enough-password" });
    expect(taken.status).toBe(409);
    expect(taken.body.errors.map((error) => error.pointer)).toEqual(["#/username"]);
    expect((await callApi(base, token, "GET", "/users/not-a-uuid")).status).toBe(400);
    expect((await callApi(base, token, "GET", `/users/${randomUUID()}`)).status).toBe(404);
  });
});

describe("authorizations and tokens", () => {
  test("a user's and a client's, listed and revoked as on the grants pages", async () => {
    const clientId = uniqueName("api-grants");
    const redirectUri = "http://localhost:5173/callback";
    await callApi(base, token, "POST", "/clients", {
      client_id: clientId,
      client_name: "Grants",
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      redirect_uris: [redirectUri],
      scope: "offline_access",
      consent_type: "implicit",
    });
    const { cookie } = await signInOverHttp(base, DEMO_USER.username, DEMO_USER.password);
    const pkce = newPkce();
    const callback = await completeAuthorization(base, cookie, authorizeUrl(base, { clientId, redirectUri, scope: "openid offline_access", pkce }));
    const exchanged = await exchangeCode(base, { clientId, code: callback.searchParams.get("code")!, verifier: pkce.verifier, redirectUri });
    expect(exchanged.status).toBe(200);

    const alice = (await callApi<{ users: { id: string }[] }>(base, token, "GET", `/users?search=${DEMO_USER.username}`)).body.users[0]!;
    const tokens = await callApi<{ tokens: { id: string; kind: string; client_id: string }[] }>(base, token, "GET", `/clients/${clientId}/tokens`);
    expect(tokens.status).toBe(200);
    expect(tokens.body.tokens.map((row) => row.kind).sort()).toEqual(["access_token", "refresh_token"]);
    const userTokens = await callApi<{ tokens: { id: string }[] }>(base, token, "GET", `/users/${alice.id}/tokens`);
    expect(userTokens.body.tokens.map((row) => row.id)).toEqual(expect.arrayContaining(tokens.body.tokens.map((row) => row.id)));

    const access = tokens.body.tokens.find((row) => row.kind === "access_token")!;
    const refresh = tokens.body.tokens.find((row) => row.kind === "refresh_token")!;
    const revokedToken = await callApi(base, token, "DELETE", `/users/${alice.id}/tokens/${access.id}`);
    expect(revokedToken.status).toBe(200);
    expect(revokedToken.body).toEqual({ extent: "token", revoked_tokens: 1 });
    expect((await callApi(base, token, "DELETE", `/users/${alice.id}/tokens/${access.id}`)).status).toBe(404);
    const revokedGrant = await callApi(base, token, "DELETE", `/clients/${clientId}/tokens/${refresh.id}`);
    expect(revokedGrant.status).toBe(200);
    expect(revokedGrant.body).toMatchObject({ extent: "grant" });

    // The remembered consent outlives its tokens; it is revoked from the user's side, then gone from the client's.
    const byUser = await callApi<{ authorizations: { id: string; client_id: string }[] }>(base, token, "GET", `/users/${alice.id}/authorizations`);
    const consent = byUser.body.authorizations.find((row) => row.client_id === clientId)!;
    expect(consent).toBeDefined();
    const byClient = await callApi<{ authorizations: { id: string; username: string }[] }>(base, token, "GET", `/clients/${clientId}/authorizations`);
    expect(byClient.body.authorizations).toEqual([expect.objectContaining({ id: consent.id, username: DEMO_USER.username })]);
    expect((await callApi(base, token, "DELETE", `/users/${alice.id}/authorizations/${consent.id}`)).status).toBe(200);
    expect((await callApi(base, token, "DELETE", `/clients/${clientId}/authorizations/${consent.id}`)).status).toBe(404);
    expect((await callApi<{ authorizations: unknown[] }>(base, token, "GET", `/clients/${clientId}/authorizations`)).body.authorizations).toEqual([]);
    expect((await callApi<{ tokens: unknown[] }>(base, token, "GET", `/clients/${clientId}/tokens`)).body.tokens).toEqual([]);
    expect((await callApi(base, token, "DELETE", `/clients/${clientId}/authorizations/not-a-uuid`)).status).toBe(400);
    expect((await callApi(base, token, "GET", `/clients/no-such-client/tokens`)).status).toBe(404);
    await callApi(base, token, "DELETE", `/clients/${clientId}`);
  });
});

describe("signing keys and the audit log", () => {
  test("list and rotate the keys; the new key is published", async () => {
    const before = await callApi<{ keys: { kid: string; alg: string; status: string }[] }>(base, token, "GET", "/signing-keys");
    expect(before.status).toBe(200);
    expect(before.body.keys.filter((key) => key.status === "active").map((key) => key.alg).sort()).toEqual(["ES256", "RS256"]);
    expect(before.body.keys[0]).not.toHaveProperty("privateKey");
    const rotated = await callApi<{ created: string[] }>(base, token, "POST", "/signing-keys/rotate", { alg: "ES256" });
    expect(rotated.status).toBe(200);
    expect(rotated.body.created).toHaveLength(1);
    const after = await callApi<{ keys: { kid: string; alg: string; status: string }[] }>(base, token, "GET", "/signing-keys");
    expect(after.body.keys.find((key) => key.kid === rotated.body.created[0])).toMatchObject({ alg: "ES256", status: "active" });
    const jwks = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((key) => key.kid)).toContain(rotated.body.created[0]);
    expect((await callApi(base, token, "POST", "/signing-keys/rotate", { alg: "HS256" })).status).toBe(400);
  });

  test("the audit filters are the page's: invalid values are listed by parameter", async () => {
    const invalid = await callApi<{ errors: { parameter: string }[] }>(base, token, "GET", "/audit-events?from=yesterday&kind=Not%20A%20Kind");
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors.map((error) => error.parameter).sort()).toEqual(["from", "kind"]);
    const pinned = await callApi<{ as_of: string; events: { at: string }[] }>(base, token, "GET", "/audit-events?kind=admin.keys.rotated");
    expect(pinned.status).toBe(200);
    expect(pinned.body.events.length).toBeGreaterThan(0);
    expect(pinned.body.events.every((event) => event.at <= pinned.body.as_of)).toBe(true);
  });
});

test("every operation of the OpenAPI document succeeded at least once above", async () => {
  const { body } = await callApiOnce<{ paths: Record<string, Record<string, unknown>> }>(base, null, "GET", "/openapi.json");
  const missing = Object.entries(body.paths).flatMap(([path, methods]) => {
    const pattern = new RegExp(`^${path.replace(/\{\w+\}/g, "[^/]+")}$`);
    return Object.keys(methods)
      .map((method) => method.toUpperCase())
      .filter((method) => !succeeded.some((call) => call.startsWith(`${method} `) && pattern.test(call.slice(method.length + 1))))
      .map((method) => `${method} ${path}`);
  });
  expect(missing).toEqual([]);
});

test("hostile input on every operation never gets a 5xx (NUL bytes, long values, wrong JSON types)", async () => {
  const hostileSegments = ["%00", "a%00b", "x".repeat(3000), "%C3%28", "..", "%2F"];
  const hostileQueries = ["?page=-1", "?page=1e400", "?search=%00", "?user=%00", "?user=a%00b", "?client=%00", "?from=2026-02-31T10:00", "?page=1&page=2"];
  const hostileBodies: unknown[] = [null, [], "text", 42, { client_name: { nested: true } }, { name: "\u0000", display_name: "\u0000" }, { username: "a\u0000b", password: "x".repeat(5000) }, { alg: ["RS256"] }];
  const failures: string[] = [];
  const check = (label: string, status: number) => {
    if (status >= 500) failures.push(`${label}: ${status}`);
  };
  for (const { method, path } of await everyOperation()) {
    const template = path.split("/");
    for (const segment of hostileSegments) {
      // Each variable segment of the sample path replaced by the hostile one.
      const hostilePath = template.map((part, index) => (index > 1 && !["secret", "password", "tokens", "authorizations", "rotate"].includes(part) ? segment : part)).join("/");
      check(`${method} ${hostilePath.slice(0, 80)}`, (await callApiOnce(base, token, method, hostilePath, method === "GET" || method === "DELETE" ? undefined : {})).status);
    }
    if (method === "GET") for (const query of hostileQueries) check(`${method} ${path}${query}`, (await callApiOnce(base, token, method, `${path}${query}`)).status);
    if (method === "POST" || method === "PUT") {
      // Records nobody has: an operation without a body (rotating a secret) must not act on the shared demo records.
      const unknownRecord = path.replace("/clients/postman", "/clients/no-such-client").replace("/scopes/api", "/scopes/no-such-scope");
      for (const body of hostileBodies) check(`${method} ${unknownRecord} ${JSON.stringify(body).slice(0, 60)}`, (await callApiOnce(base, token, method, unknownRecord, JSON.stringify(body))).status);
    }
  }
  expect(failures).toEqual([]);
});
