// Config as code (issue #13 item 7): `plan FILE` and `apply FILE [--prune]` of
// the built CLI against a seeded store, starting from the README's example
// (examples/gatehouse.config.json, so the example stays valid). What the CLI
// prints and changes does not depend on the backend: it runs against a
// PostgreSQL store (a CLI start there opens no embedded database, and the test
// reads the store beside it). What does depend on it: PGlite has one opener,
// so the CLI refuses while a server runs there; on PostgreSQL apply works while
// a server runs, which sees the change on its next request. Runs on the PGlite
// project only: it makes the stores of both backends itself.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { queryStore, runCliProcess } from "../helpers/processes";
import { createSeededStore, makeTempDir, PROJECT_ROOT, startServer, type Backend, type RunningServer, type TestStore } from "../helpers/server";
import { basicAuthorization, postForm, TOKEN_PATH, verifyAccessToken, JWKS_PATH } from "../helpers/oauth";

const EXAMPLE_PATH = path.join(PROJECT_ROOT, "examples", "gatehouse.config.json");
const EXAMPLE = JSON.parse(fs.readFileSync(EXAMPLE_PATH, "utf8")) as {
  scopes: Record<string, unknown>[];
  clients: (Record<string, unknown> & { client_id: string })[];
};
const WORKER = "orders-worker";
const WORKER_SCOPE = { name: "orders:read", resource: "https://orders.example.com" };
const SECRET = "config-as-code-secret-0123456789abcdef";
const SECRET_ENV = { ORDERS_WORKER_SECRET: SECRET };

/** The example with changes, written as gatehouse.config.json in a directory of its own (the audit actor's name). */
function writeConfig(dir: string, change: (config: typeof EXAMPLE) => void = () => undefined): string {
  const config = structuredClone(EXAMPLE);
  change(config);
  const file = path.join(dir, "gatehouse.config.json");
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

async function workerToken(baseUrl: string, secret = SECRET): Promise<Response> {
  return postForm(baseUrl + TOKEN_PATH, {
    headers: { Authorization: basicAuthorization(WORKER, secret) },
    body: { grant_type: "client_credentials", scope: WORKER_SCOPE.name },
  });
}

async function expectWorkerToken(baseUrl: string, secret = SECRET): Promise<void> {
  const response = await workerToken(baseUrl, secret);
  const text = await response.text();
  expect(response.status, text).toBe(200);
  const { access_token } = JSON.parse(text) as { access_token: string };
  const { payload } = await verifyAccessToken(access_token, baseUrl + JWKS_PATH, { audience: WORKER_SCOPE.resource });
  expect(payload.client_id).toBe(WORKER);
}

const clientIds = async (store: TestStore) =>
  (await queryStore<{ client_id: string }>(store, `SELECT "client_id" FROM "applications" ORDER BY "client_id"`)).map((row) => row.client_id);

/** A copy of the seeded template of `backend` (seeded by the CLI when the run has none). */
async function seededStore(backend: Backend): Promise<TestStore> {
  const store = await createSeededStore(backend);
  if (!store.seeded) {
    const seeded = await runCliProcess(store, ["seed-demo"]);
    expect(seeded.code, seeded.output).toBe(0);
  }
  return store;
}

describe("plan and apply with no server running", () => {
  let store: TestStore;
  let dir: string;
  beforeAll(async () => {
    store = await seededStore("postgres");
    dir = makeTempDir("config");
  }, 60_000);
  afterAll(async () => {
    await store?.cleanup();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test("an invalid file exits 2 listing every problem with its JSON path; a client_secret in the file is refused; nothing changes", async () => {
    const before = await clientIds(store);
    const file = writeConfig(dir, (config) => {
      config.clients[1]!.client_secret = "in-the-file";
      config.clients[0]!.redirect_uris = ["http://orders.example.com/callback"];
      config.scopes[0]!.claims = ["shoe_size"];
    });
    const result = await runCliProcess(store, ["apply", file], SECRET_ENV);
    expect(result.code, result.output).toBe(2);
    expect(result.stderr).toContain("3 problems; nothing was changed.");
    expect(result.stderr).toMatch(/\$\.clients\[1\]\.client_secret: A secret never goes in the file: .*client_secret_env/);
    expect(result.stderr).toMatch(/\$\.clients\[0\]\.redirect_uris: http:\/\/orders\.example\.com\/callback uses http/);
    expect(result.stderr).toMatch(/\$\.scopes\[0\]\.claims\[0\]: /);
    expect(await clientIds(store)).toEqual(before);

    for (const args of [["plan"], ["apply", file, file], ["apply", file, "--force"]]) {
      const usage = await runCliProcess(store, args, SECRET_ENV);
      expect(usage.code, usage.output).toBe(2);
      expect(usage.stderr).toMatch(/needs one config file|Unknown argument "--force"/);
    }
  });

  test("a missing secret variable exits 2 naming it, before anything changes", async () => {
    const before = await clientIds(store);
    const result = await runCliProcess(store, ["apply", EXAMPLE_PATH], { ORDERS_WORKER_SECRET: "" });
    expect(result.code, result.output).toBe(2);
    expect(result.stderr).toContain("$.clients[1].client_secret_env: The environment variable ORDERS_WORKER_SECRET (the secret of orders-worker) is empty.");
    expect(await clientIds(store)).toEqual(before);
  });

  test("plan lists the creations and changes nothing; apply creates; a second apply reports no changes", async () => {
    const plan = await runCliProcess(store, ["plan", EXAMPLE_PATH], SECRET_ENV);
    expect(plan.code, plan.output).toBe(0);
    expect(plan.stdout).toContain("+ create scope orders:read\n+ create client orders-web\n+ create client orders-worker\n");
    expect(plan.stdout).toContain("Plan: 3 to create, 0 to update, 0 to delete, 0 unchanged.");
    expect(plan.stdout).toContain("Not in the file, kept (--prune deletes them): clients spa, postman; scopes api.");
    expect(await clientIds(store)).not.toContain(WORKER);

    const apply = await runCliProcess(store, ["apply", EXAMPLE_PATH], SECRET_ENV);
    expect(apply.code, apply.output).toBe(0);
    expect(apply.stdout).toContain("Applied: 3 created, 0 updated, 0 deleted, 0 unchanged.");
    expect(await clientIds(store)).toEqual(["orders-web", "orders-worker", "postman", "spa"]);

    const again = await runCliProcess(store, ["apply", EXAMPLE_PATH], SECRET_ENV);
    expect(again.code, again.output).toBe(0);
    expect(again.stdout).toContain("No changes: 3 unchanged.");

    // Through the management operations: their audit entries, with the file as the actor.
    const audit = await queryStore<{ kind: string; actor: string; client_id: string | null }>(
      store,
      `SELECT "kind", "actor", "client_id" FROM "audit_events" WHERE "actor" LIKE 'config:%' ORDER BY "at", "kind"`,
    );
    expect(audit).toEqual([
      { kind: "admin.scope.created", actor: "config:gatehouse.config.json", client_id: null },
      { kind: "admin.client.created", actor: "config:gatehouse.config.json", client_id: "orders-web" },
      { kind: "admin.client.created", actor: "config:gatehouse.config.json", client_id: "orders-worker" },
    ]);
  });

  test("a changed redirect URI is an update of that field only; plan shows a changed secret variable as a client_secret update", async () => {
    const file = writeConfig(dir, (config) => {
      config.clients[0]!.redirect_uris = ["https://orders.example.com/callback", "https://orders.example.com/callback2"];
    });
    const plan = await runCliProcess(store, ["plan", file], { ORDERS_WORKER_SECRET: `${SECRET}-new` });
    expect(plan.code, plan.output).toBe(0);
    expect(plan.stdout).toContain("~ update client orders-web: redirect_uris\n~ update client orders-worker: client_secret\n");
    const apply = await runCliProcess(store, ["apply", file], SECRET_ENV);
    expect(apply.code, apply.output).toBe(0);
    expect(apply.stdout).toContain("~ update client orders-web: redirect_uris\n");
    expect(apply.stdout).toContain("Applied: 0 created, 1 updated, 0 deleted, 2 unchanged.");
    const [row] = await queryStore<{ redirect_uris: string[] }>(store, `SELECT "redirect_uris" FROM "applications" WHERE "client_id" = 'orders-web'`);
    expect(row!.redirect_uris).toEqual(["https://orders.example.com/callback", "https://orders.example.com/callback2"]);
  });

  test("--prune deletes what the file does not declare; a scope a declared client still requests is refused by the scope operation", async () => {
    const file = writeConfig(dir, (config) => {
      config.clients[0]!.redirect_uris = ["https://orders.example.com/callback", "https://orders.example.com/callback2"];
    });
    const plain = await runCliProcess(store, ["apply", file], SECRET_ENV);
    expect(plain.stdout).toContain("No changes: 3 unchanged.");

    const second = path.join(dir, "second");
    fs.mkdirSync(second);
    const keepsApi = writeConfig(second, (config) => {
      config.clients[0]!.redirect_uris = ["https://orders.example.com/callback", "https://orders.example.com/callback2"];
      config.clients[1]!.scope = "orders:read api";
    });
    const refused = await runCliProcess(store, ["apply", keepsApi, "--prune"], SECRET_ENV);
    expect(refused.code, refused.output).toBe(1);
    expect(refused.stdout).toContain("~ update client orders-worker: scope\n- delete client spa\n- delete client postman\n");
    expect(refused.stdout).toMatch(/- delete scope api \(will be refused: still requested by orders-worker; .*\): REFUSED: The scope "api" cannot be deleted: 1 client may still request it/);
    expect(refused.stdout).toContain("1 refused");
    expect(await clientIds(store)).toEqual(["orders-web", "orders-worker"]);

    const pruned = await runCliProcess(store, ["apply", file, "--prune"], SECRET_ENV);
    expect(pruned.code, pruned.output).toBe(0);
    expect(pruned.stdout).toContain("~ update client orders-worker: scope\n- delete scope api\n");
    const scopes = (await queryStore<{ name: string }>(store, `SELECT "name" FROM "scopes" ORDER BY "name"`)).map((scope) => scope.name);
    // The standard OpenID Connect scopes are never pruned.
    expect(scopes).toEqual(["email", "offline_access", "openid", "orders:read", "profile"]);
  });
});

describe("PGlite: the CLI refuses while a server runs", () => {
  let store: TestStore;
  let server: RunningServer | undefined;
  beforeAll(async () => {
    store = await seededStore("pglite");
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await store?.cleanup();
  });

  test("the created client gets a token with the secret from the variable from a server started afterwards; the CLI refuses while that server runs", async () => {
    // With the server stopped, apply writes to the embedded store.
    const apply = await runCliProcess(store, ["apply", EXAMPLE_PATH], SECRET_ENV);
    expect(apply.code, apply.output).toBe(0);
    expect(apply.stdout).toContain("Applied: 3 created, 0 updated, 0 deleted, 0 unchanged.");
    server = await startServer(store);
    await expectWorkerToken(server.url);
    expect((await workerToken(server.url, `${SECRET}-new`)).status).toBe(401);

    const locked = await runCliProcess(store, ["apply", EXAMPLE_PATH], SECRET_ENV);
    expect(locked.code, locked.output).not.toBe(0);
    expect(locked.stderr).toContain("already in use");
    expect(locked.stderr).toContain("To apply a config file on the embedded database: stop the server, run the command, start the server again.");
    const plan = await runCliProcess(store, ["plan", EXAMPLE_PATH], SECRET_ENV);
    expect(plan.code, plan.output).not.toBe(0);
    expect(plan.stderr).toContain("already in use");
    await expectWorkerToken(server.url); // the server is unaffected
  }, 60_000);
});

describe("PostgreSQL: apply while a server runs", () => {
  let primary: { store: TestStore; server: RunningServer };
  beforeAll(async () => {
    const store = await seededStore("postgres");
    primary = { store, server: await startServer(store) };
  }, 60_000);
  afterAll(async () => {
    await primary?.server.stop();
    await primary?.store.cleanup();
  });

  test("the running server serves the created client at once, and refuses its old secret on the next request after a change", async () => {
    const { url } = primary.server;
    const apply = await runCliProcess(primary.store, ["apply", EXAMPLE_PATH], SECRET_ENV);
    expect(apply.code, apply.output).toBe(0);
    expect(apply.stdout).toContain("Applied: 3 created, 0 updated, 0 deleted, 0 unchanged.");
    await expectWorkerToken(url); // the client is now in the server's catalog cache

    const rotated = await runCliProcess(primary.store, ["apply", EXAMPLE_PATH], { ORDERS_WORKER_SECRET: `${SECRET}-rotated` });
    expect(rotated.code, rotated.output).toBe(0);
    expect(rotated.stdout).toContain("~ update client orders-worker: client_secret");
    // The catalog notification dropped the cached client: no waiting, no polling.
    expect((await workerToken(url)).status).toBe(401);
    await expectWorkerToken(url, `${SECRET}-rotated`);

    const again = await runCliProcess(primary.store, ["apply", EXAMPLE_PATH], { ORDERS_WORKER_SECRET: `${SECRET}-rotated` });
    expect(again.stdout).toContain("No changes: 3 unchanged.");
  }, 60_000);
});
