// Config as code (issue #13 item 7; lib/management/configFile.ts, configPlan.ts):
// the file's checks, each problem with its JSON path, secrets from the
// environment, and the plan (create / update with the changed fields / delete
// only with --prune / unchanged) against stored records built the way the
// client operations store them.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { clientPermissions, clientRequirements } from "@/lib/forms/clientForm";
import { MIN_SECRET_LENGTH, parseConfigFile, resolveClientSecrets, type ConfigDocument, type DeclaredClient } from "@/lib/management/configFile";
import { describePlan, planChanges, storedStateProblems, type StoredScope, type StoredState } from "@/lib/management/configPlan";
import { STANDARD_SCOPES } from "@/lib/db/standardScopes";
import type { ClientRecord } from "@/lib/oauth/ports";
import { hashClientSecret } from "@/lib/oauth/secrets";

const SECRET = "s".repeat(MIN_SECRET_LENGTH);
const EXAMPLE = path.resolve(__dirname, "../../examples/gatehouse.config.json");

const file = (value: unknown) => JSON.stringify(value);

const worker = {
  client_id: "worker",
  client_name: "Worker",
  token_endpoint_auth_method: "client_secret_basic",
  client_secret_env: "WORKER_SECRET",
  grant_types: ["client_credentials"],
  scope: "orders",
};
const web = {
  client_id: "web",
  client_name: "Web",
  token_endpoint_auth_method: "none",
  redirect_uris: ["https://web.example.com/cb"],
  scope: "openid profile orders",
};
const ordersScope = { name: "orders", display_name: "Orders", resources: ["https://orders.example.com"], claims: ["email"], access_token_claims: ["email"] };

function parsed(value: unknown): ConfigDocument {
  const result = parseConfigFile(file(value));
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

function problemsOf(value: unknown): Record<string, string> {
  const result = parseConfigFile(typeof value === "string" ? value : file(value));
  if (result.ok) throw new Error("expected problems");
  return Object.fromEntries(result.problems.map((problem) => [problem.path, problem.message]));
}

let row = 0;
const uuid = () => `00000000-0000-4000-8000-${String(++row).padStart(12, "0")}`;

/** The record createClientOperation would store for a declared client (lib/management/clientOperations.ts changeFor). */
function storedFrom(client: DeclaredClient, secret: string | null = null): ClientRecord {
  const { settings } = client;
  return {
    id: uuid(),
    clientId: client.clientId,
    displayName: settings.displayName,
    clientType: settings.clientType,
    consentType: settings.consentType,
    clientSecretHashes: secret ? [hashClientSecret(secret)] : [],
    redirectUris: settings.redirectUris,
    postLogoutRedirectUris: settings.postLogoutRedirectUris,
    permissions: clientPermissions(settings),
    requirements: clientRequirements(),
    ...settings.lifetimes,
    ...settings.signingAlgorithms,
    enabled: true,
    managementApi: false,
  };
}

const standardScopes: StoredScope[] = STANDARD_SCOPES.map((scope) => ({ ...scope, id: uuid(), accessTokenClaims: [], standard: true }));
const storedScope = (name: string, overrides: Partial<StoredScope> = {}): StoredScope => ({
  id: uuid(),
  name,
  displayName: name,
  description: "",
  resources: [],
  claims: [],
  accessTokenClaims: [],
  standard: false,
  ...overrides,
});

describe("the config file", () => {
  it("the README's example (examples/gatehouse.config.json) is valid", () => {
    const result = parseConfigFile(fs.readFileSync(EXAMPLE, "utf8"));
    expect(result.ok, JSON.stringify(!result.ok && result.problems)).toBe(true);
    if (!result.ok) return;
    expect(result.value.clients.map((client) => client.clientId)).toEqual(["orders-web", "orders-worker"]);
    expect(result.value.scopes.map((scope) => scope.name)).toEqual(["orders:read"]);
  });

  it("the README's configuration-as-code example is valid", () => {
    const readme = fs.readFileSync(path.resolve(__dirname, "../../README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Configuration as code"));
    const block = /```json\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block).toBeDefined();
    const result = parseConfigFile(block!);
    expect(result.ok, JSON.stringify(!result.ok && result.problems)).toBe(true);
  });

  it("reads clients in the management API's shape (RFC 7591 names) into the form's settings", () => {
    const config = parsed({ clients: [worker, web], scopes: [ordersScope] });
    const [declaredWorker, declaredWeb] = config.clients;
    expect(declaredWorker).toMatchObject({ clientId: "worker", secretEnv: "WORKER_SECRET", enabled: null });
    expect(declaredWorker!.settings).toMatchObject({ clientType: "confidential", grantTypes: ["client_credentials"], scopes: ["orders"] });
    // openid comes with authorization_code (as on the dashboard); the defaults are the API's.
    expect(declaredWeb!.settings).toMatchObject({ clientType: "public", consentType: "explicit", grantTypes: ["authorization_code"], scopes: ["profile", "orders"] });
    expect(config.scopes[0]!.write).toEqual({ displayName: "Orders", description: "", resources: ["https://orders.example.com"], claims: ["email"], accessTokenClaims: ["email"] });
  });

  it("refuses a client_secret in the file, pointing at client_secret_env", () => {
    const problems = problemsOf({ clients: [{ ...worker, client_secret: "hunter2" }] });
    expect(Object.keys(problems)).toEqual(["$.clients[0].client_secret"]);
    expect(problems["$.clients[0].client_secret"]).toMatch(/never goes in the file.*client_secret_env/);
  });

  it("lists every problem with its JSON path, the form's rules included", () => {
    const problems = problemsOf({
      clients: [
        { ...web, redirect_uris: ["http://web.example.com/cb"] },
        { ...worker, client_secret_env: undefined, colour: "blue" },
        { ...worker, client_id: "x", client_secret_env: "1BAD" },
        { ...web, token_endpoint_auth_method: "none", grant_types: ["client_credentials"], client_secret_env: "WEB_SECRET" },
        { ...worker, response_types: ["code"] },
        worker,
        worker,
      ],
      scopes: [{ ...ordersScope, claims: [], name: "gatehouse:orders" }, 7],
    });
    expect(problems).toEqual({
      "$.clients[0].redirect_uris": expect.stringMatching(/uses http/),
      "$.clients[1].colour": "Unknown field colour.",
      "$.clients[2].client_secret_env": expect.stringMatching(/Name an environment variable/),
      "$.clients[3].grant_types": expect.stringMatching(/confidential client/),
      "$.clients[3].client_secret_env": expect.stringMatching(/public client .* has no secret/),
      "$.clients[4].response_types": expect.stringMatching(/needs the authorization_code grant/),
      "$.clients[6]": "The client_id worker is declared twice (first at $.clients[5]).",
      "$.scopes[0].name": expect.stringMatching(/reserved/),
      "$.scopes[0].access_token_claims": expect.stringMatching(/releases it/),
      "$.scopes[1]": expect.any(String),
    });
  });

  it("a confidential client without client_secret_env, and malformed JSON, are problems", () => {
    expect(problemsOf({ clients: [{ ...worker, client_secret_env: undefined }] })).toEqual({
      "$.clients[0].client_secret_env": expect.stringMatching(/needs client_secret_env/),
    });
    expect(Object.keys(problemsOf("{ not json"))).toEqual(["$"]);
    expect(problemsOf({ clients: {} })).toEqual({ "$.clients": expect.any(String) });
    expect(problemsOf({ clients: [], extra: true })).toEqual({ "$.extra": "Unknown field extra." });
  });

  it("reads each secret from the variable the file names; unset, empty or short is a problem naming it", () => {
    const config = parsed({ clients: [worker, web], scopes: [ordersScope] });
    const found = resolveClientSecrets(config, { WORKER_SECRET: SECRET });
    expect(found.ok && [...found.value]).toEqual([["worker", SECRET]]);
    for (const [value, pattern] of [
      [undefined, /WORKER_SECRET \(the secret of worker\) is not set/],
      ["", /WORKER_SECRET .* is empty/],
      ["short", new RegExp(`shorter than ${MIN_SECRET_LENGTH}`)],
    ] as const) {
      const result = resolveClientSecrets(config, { WORKER_SECRET: value });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.problems).toEqual([{ path: "$.clients[0].client_secret_env", message: expect.stringMatching(pattern) }]);
    }
  });
});

describe("the plan", () => {
  const config = parsed({ clients: [worker, web], scopes: [ordersScope] });
  const secrets = new Map([["worker", SECRET]]);
  const inSync = (): StoredState => ({
    clients: [storedFrom(config.clients[0]!, SECRET), storedFrom(config.clients[1]!)],
    scopes: [...standardScopes, storedScope("orders", { displayName: "Orders", resources: ["https://orders.example.com"], claims: ["email"], accessTokenClaims: ["email"] })],
  });

  it("on a store without them: scopes are created before the clients that request them", () => {
    const plan = planChanges(config, { clients: [], scopes: standardScopes }, secrets, { prune: false });
    expect(plan.changes.map((change) => `${change.action} ${change.kind} ${change.name}`)).toEqual(["create scope orders", "create client worker", "create client web"]);
    expect(plan.unchanged).toBe(0);
    expect(describePlan(plan).at(-1)).toBe("Plan: 3 to create, 0 to update, 0 to delete, 0 unchanged.");
  });

  it("a store that matches the file (as the operations stored it) plans no changes", () => {
    const plan = planChanges(config, inSync(), secrets, { prune: true });
    expect(plan.changes).toEqual([]);
    expect(plan.unchanged).toBe(3);
    expect(describePlan(plan)).toEqual(["No changes: 3 unchanged."]);
  });

  it("an update names only the changed fields: a redirect URI, the enabled flag, a secret that no stored hash matches", () => {
    const changed = parsed({ clients: [{ ...worker, enabled: false }, { ...web, redirect_uris: ["https://web.example.com/other"] }], scopes: [{ ...ordersScope, description: "All orders" }] });
    const plan = planChanges(changed, inSync(), new Map([["worker", `${SECRET}x`]]), { prune: false });
    expect(plan.changes.map((change) => (change.action === "update" ? `${change.name}: ${change.fields.join(" ")}` : change.action))).toEqual([
      "orders: description",
      "worker: enabled client_secret",
      "web: redirect_uris",
    ]);
    expect(describePlan(plan)).toContain("~ update client web: redirect_uris");
  });

  it("a client made confidential gets its secret; one made public changes its auth method only", () => {
    const state = inSync();
    state.clients[0] = { ...state.clients[0]!, clientType: "public", clientSecretHashes: [], permissions: state.clients[0]!.permissions.filter((p) => p !== "ept:introspection") };
    const plan = planChanges(config, state, secrets, { prune: false });
    expect(plan.changes).toMatchObject([{ action: "update", name: "worker", fields: ["token_endpoint_auth_method", "client_secret"] }]);
  });

  it("deletes nothing without --prune; lists what is kept", () => {
    const state = inSync();
    state.clients.push({ ...storedFrom(config.clients[1]!), clientId: "legacy" });
    state.scopes.push(storedScope("old"));
    const plan = planChanges(config, state, secrets, { prune: false });
    expect(plan.changes).toEqual([]);
    expect(plan.undeclared).toEqual({ clients: ["legacy"], scopes: ["old"] });
    expect(describePlan(plan).at(-1)).toBe("Not in the file, kept (--prune deletes them): clients legacy; scopes old.");
  });

  it("--prune deletes undeclared clients, then scopes; never the standard OpenID Connect scopes; a scope still requested is reported as refused", () => {
    const state = inSync();
    state.clients.push({ ...storedFrom(config.clients[1]!), clientId: "legacy" });
    state.scopes.push(storedScope("old"), storedScope("kept-by-web"));
    const stillUsing = parsed({ clients: [worker, { ...web, scope: "openid orders kept-by-web" }], scopes: [ordersScope] });
    const plan = planChanges(stillUsing, state, secrets, { prune: true });
    const deletes = plan.changes.filter((change) => change.action === "delete");
    expect(deletes.map((change) => `${change.kind} ${change.name}`)).toEqual(["client legacy", "scope old", "scope kept-by-web"]);
    expect(describePlan(plan)).toContain("- delete scope kept-by-web (will be refused: still requested by web; the scope operation refuses to delete a scope in use)");
    expect(describePlan(plan)).toContain("- delete scope old");
    for (const standard of STANDARD_SCOPES) expect(plan.changes.map((change) => change.name)).not.toContain(standard.name);
  });

  it("a client's scope that is neither declared nor stored is a problem with its path", () => {
    const missing = parsed({ clients: [{ ...worker, scope: "orders nowhere" }], scopes: [] });
    expect(storedStateProblems(missing, { clients: [], scopes: [...standardScopes, storedScope("orders"), storedScope("nowhere")] })).toEqual([]);
    expect(storedStateProblems(missing, { clients: [], scopes: standardScopes })).toEqual([
      { path: "$.clients[0].scope", message: "No such scope: orders, nowhere. Declare it under scopes, or create it first." },
    ]);
  });
});
