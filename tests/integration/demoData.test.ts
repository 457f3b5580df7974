// Issue #10 item 1 against the built server and CLI: demo data (published
// credentials) only on a loopback issuer or with GATEHOUSE_DEMO=1, and the
// first administrator of a production install without any default password,
// by a one-time setup link or by `create-admin` with the password on stdin.
// PGlite and PostgreSQL (GATEHOUSE_TEST_BACKEND).
import { spawn } from "node:child_process";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { basicAuthorization } from "../helpers/oauth";
import { cookieJar, findForm, signInOverHttp } from "../helpers/portal";
import { PROJECT_ROOT, createTestStore, runCli, startServer, type RunningServer, type TestStore } from "../helpers/server";

const PUBLIC_ISSUER = "https://id.example.com";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function freshStore(): Promise<TestStore> {
  const store = await createTestStore();
  // The helper's stores preset the seeded admin's password; a production install has none.
  delete store.env.GATEHOUSE_ADMIN_PASSWORD;
  cleanups.push(() => store.cleanup());
  return store;
}

async function start(store: TestStore, env: Record<string, string> = {}): Promise<RunningServer> {
  const server = await startServer(store, { GATEHOUSE_ADMIN_PASSWORD: "", ...env });
  cleanups.push(() => server.stop());
  return server;
}

async function clientCredentials(base: string): Promise<{ status: number; error?: string }> {
  const response = await fetch(`${base}/connect/token`, {
    method: "POST",
    headers: { Authorization: basicAuthorization("postman", "postman-secret"), "Content-Type": "application/x-www-form-urlencoded" },
    body: "grant_type=client_credentials&scope=api",
  });
  const body = (await response.json()) as { error?: string };
  return { status: response.status, error: body.error };
}

/** Runs dist/cli.js with `input` on its stdin (a pipe, not a terminal). */
function runCliWithStdin(store: TestStore, args: string[], input: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, "dist/cli.js"), ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...store.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, output }));
    child.stdin.end(input);
  });
}

/** Posts the /setup form the way a browser without JavaScript does; returns the page it answers with. */
async function submitSetupForm(pageUrl: string, html: string, values: Record<string, string>): Promise<{ status: number; html: string }> {
  const form = findForm(html, "username");
  const body = new FormData();
  for (const [name, value] of form.fields) if (!(name in values)) body.append(name, value);
  for (const [name, value] of Object.entries(values)) body.append(name, value);
  const response = await fetch(pageUrl, { method: "POST", body, redirect: "manual", headers: { Origin: new URL(pageUrl).origin } });
  return { status: response.status, html: await response.text() };
}

describe("demo data outside loopback", () => {
  test("a start with a non-loopback issuer on a database holding demo data exits 1, naming them and GATEHOUSE_DEMO", async () => {
    const store = await freshStore();
    await runCli(store, ["seed-demo"]);
    const refused = await start(store, { GATEHOUSE_ISSUER: PUBLIC_ISSUER }).then(
      () => null,
      (error: Error) => error.message,
    );
    expect(refused).toMatch(/exited with 1/);
    for (const text of ["client postman", "client spa", "user alice", "GATEHOUSE_DEMO", PUBLIC_ISSUER]) expect(refused).toContain(text);

    // The same database on a loopback issuer (the tutorial's case) starts, without a warning, and shows the demo credentials.
    const local = await start(store);
    expect(local.output()).not.toContain("WARNING");
    expect((await clientCredentials(local.url)).status).toBe(200);
    expect(await (await fetch(local.url + "/")).text()).toContain("postman-secret");
  }, 180_000);

  test("with GATEHOUSE_DEMO=1 it starts, warns on every start, and the demo credentials work and are shown", async () => {
    const store = await freshStore();
    await runCli(store, ["seed-demo"]);
    for (let round = 0; round < 2; round++) {
      const server = await start(store, { GATEHOUSE_ISSUER: PUBLIC_ISSUER, GATEHOUSE_DEMO: "1" });
      expect(server.output()).toMatch(/WARNING: GATEHOUSE_DEMO=1 .*client postman, client spa, user alice/);
      expect((await clientCredentials(server.url)).status).toBe(200);
      expect(await (await fetch(server.url + "/")).text()).toContain("postman-secret");
      await server.stop();
    }
  }, 180_000);

  test("a fresh non-loopback start seeds nothing: the demo client is unknown and the home page shows no credentials", async () => {
    const store = await freshStore();
    const server = await start(store, { GATEHOUSE_ISSUER: PUBLIC_ISSUER });
    expect(server.output()).not.toContain("demo data seeded");
    expect(await clientCredentials(server.url)).toEqual({ status: 401, error: "invalid_client" });
    const home = await (await fetch(server.url + "/")).text();
    expect(home).not.toContain("postman-secret");
    expect(home).not.toContain("alice-password");
  }, 180_000);
});

describe("the first administrator without a default password", () => {
  test("the setup link printed at a fresh start creates the administrator once; the link is then dead; sign-in works", async () => {
    const store = await freshStore();
    const server = await start(store, { GATEHOUSE_ISSUER: PUBLIC_ISSUER });
    const printed = /\/setup\?token=([A-Za-z0-9_-]{43})/.exec(server.output());
    expect(printed, server.output()).not.toBeNull();
    // The link names the public issuer; the test reaches the same server on its local address.
    const pageUrl = `${server.url}/setup?token=${printed![1]}`;
    const page = await fetch(pageUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("This Gatehouse has no administrator yet");

    const account = { username: "ops", email: "ops@example.com", name: "Operations", password: "a long setup passphrase", confirmPassword: "a long setup passphrase" };
    const created = await submitSetupForm(pageUrl, html, account);
    expect(created.status).toBe(200);
    expect(created.html).toContain("Administrator <strong>ops</strong> created");

    const again = await submitSetupForm(pageUrl, html, { ...account, username: "intruder", email: "" });
    expect(again.html).toContain("This setup link cannot be used");
    expect(await (await fetch(pageUrl)).text()).toContain("This setup link cannot be used");

    const signIn = await signInOverHttp(server.url, "ops", account.password);
    expect(signIn.response.status).toBe(303);
    const dashboard = await fetch(`${server.url}/dashboard`, { headers: { cookie: cookieJar(signIn.response) }, redirect: "manual" });
    expect(dashboard.status).toBe(200);
    expect((await signInOverHttp(server.url, "intruder", account.password)).cookie).toBe("");

    // Once an administrator exists, a restart prints no new link.
    await server.stop();
    const restarted = await start(store, { GATEHOUSE_ISSUER: PUBLIC_ISSUER });
    expect(restarted.output()).not.toContain("/setup?token=");
  }, 180_000);

  test("create-admin reads the password from stdin, refuses a weak one, and the administrator can sign in", async () => {
    const store = await freshStore();
    const weak = await runCliWithStdin(store, ["create-admin", "--username", "ops"], "short\n");
    expect(weak.code).toBe(2);
    expect(weak.output).toContain("at least 12 characters");

    const made = await runCliWithStdin(store, ["create-admin", "--username", "ops", "--email", "ops@example.com"], "a long cli passphrase\n");
    expect(made.code, made.output).toBe(0);
    expect(made.output).toContain("administrator ops created");
    const twice = await runCliWithStdin(store, ["create-admin", "--username", "ops"], "another long passphrase\n");
    expect(twice.code).toBe(2);
    expect(twice.output).toContain("already has this username");

    const server = await start(store, { GATEHOUSE_ISSUER: PUBLIC_ISSUER });
    expect(server.output()).not.toContain("/setup?token=");
    const signIn = await signInOverHttp(server.url, "ops", "a long cli passphrase");
    expect(signIn.response.status).toBe(303);
    const dashboard = await fetch(`${server.url}/dashboard`, { headers: { cookie: signIn.cookie }, redirect: "manual" });
    expect(dashboard.status).toBe(200);
  }, 180_000);
});
