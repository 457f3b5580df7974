// Fresh stores and servers for the first-start tests (tests/integration/demoData.test.ts,
// firstAdministrator.test.ts): no preset administrator password, cleaned up after each test.
// A fresh store is a copy of the session's migrated template (tables, nothing in them): what a
// first start decides (seed demo data or not, open a setup link) depends on what the database
// holds; the migrations of a first start from nothing are tests/integration/database.test.ts's.
import { spawn } from "node:child_process";
import path from "node:path";
import { afterEach } from "vitest";
import { basicAuthorization } from "./oauth";
import { findForm } from "./portal";
import { PROJECT_ROOT, TEST_NODE_OPTIONS, createMigratedStore, createSeededStore, runCli, startServer, type RunningServer, type TestStore } from "./server";

export const PUBLIC_ISSUER = "https://id.example.com";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

export async function freshStore(): Promise<TestStore> {
  const store = await createMigratedStore();
  // The helper's stores preset the seeded admin's password; a production install has none.
  delete store.env.GATEHOUSE_ADMIN_PASSWORD;
  cleanups.push(() => store.cleanup());
  return store;
}

/** A store holding the demo data (the test session's template, or seeded here), without a preset administrator password. */
export async function storeWithDemoData(): Promise<TestStore> {
  const store = await createSeededStore();
  delete store.env.GATEHOUSE_ADMIN_PASSWORD;
  cleanups.push(() => store.cleanup());
  if (!store.seeded) await runCli(store, ["seed-demo"]);
  return store;
}

export async function start(store: TestStore, env: Record<string, string> = {}): Promise<RunningServer> {
  const server = await startServer(store, { GATEHOUSE_ADMIN_PASSWORD: "", ...env });
  cleanups.push(() => server.stop());
  return server;
}

export async function clientCredentials(base: string): Promise<{ status: number; error?: string }> {
  const response = await fetch(`${base}/connect/token`, {
    method: "POST",
    headers: { Authorization: basicAuthorization("postman", "postman-secret"), "Content-Type": "application/x-www-form-urlencoded" },
    body: "grant_type=client_credentials&scope=api",
  });
  const body = (await response.json()) as { error?: string };
  return { status: response.status, error: body.error };
}

/** Runs dist/cli.js with `input` on its stdin (a pipe, not a terminal). */
export function runCliWithStdin(store: TestStore, args: string[], input: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...TEST_NODE_OPTIONS, path.join(PROJECT_ROOT, "dist/cli.js"), ...args], {
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
export async function submitSetupForm(pageUrl: string, html: string, values: Record<string, string>): Promise<{ status: number; html: string }> {
  const form = findForm(html, "username");
  const body = new FormData();
  for (const [name, value] of form.fields) if (!(name in values)) body.append(name, value);
  for (const [name, value] of Object.entries(values)) body.append(name, value);
  const response = await fetch(pageUrl, { method: "POST", body, redirect: "manual", headers: { Origin: new URL(pageUrl).origin } });
  return { status: response.status, html: await response.text() };
}

