// Issue #5 item 1: the dashboard is for admins only, checked on the server for
// every page and every action — not by hiding links. The pages and actions are
// enumerated from the build itself (app/dashboard/**/page.tsx and Next's
// server-reference manifest), so a new page or action is covered the day it
// is added. Actions are replayed the way the browser calls them (POST with the
// Next-Action header) with a non-admin's and with no session.
import fs from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import type { APIRequestContext, Browser } from "@playwright/test";
import { expect, test, expectAccessible, signInThroughForm } from "../helpers/browser";
import { DEMO_USER } from "../helpers/codeFlow";
import { PROJECT_ROOT, startSeededServer, TEST_ADMIN_PASSWORD } from "../helpers/server";

let env: Awaited<ReturnType<typeof startSeededServer>>;
let base: string;

test.beforeAll(async () => {
  env = await startSeededServer();
  base = env.server.url;
});
test.afterAll(async () => {
  await env?.stop();
});

/** Every dashboard page path, dynamic segments filled with a fresh uuid. */
function dashboardPages(): string[] {
  const dir = path.join(PROJECT_ROOT, "app", "dashboard");
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name === "page.tsx")
    .map((entry) => {
      const relative = path.relative(path.join(PROJECT_ROOT, "app"), entry.parentPath).split(path.sep);
      return "/" + relative.map((segment) => (/^\[.+\]$/.test(segment) ? randomUUID() : segment)).join("/");
    })
    .sort();
}

interface ServerAction {
  id: string;
  filename: string;
  exportedName: string;
  /** A page path that mounts the action (the POST goes there, as the browser's does). */
  pagePath: string;
}

/** The built server actions of app/dashboard (Next's manifest maps id → file, export and pages). */
function dashboardActions(): ServerAction[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, ".next", "server", "server-reference-manifest.json"), "utf8")) as {
    node: Record<string, { filename: string; exportedName: string; workers: Record<string, unknown> }>;
  };
  return Object.entries(manifest.node)
    .filter(([, action]) => action.filename.startsWith("app/dashboard/"))
    .map(([id, action]) => {
      const worker = Object.keys(action.workers).find((name) => name.startsWith("app/dashboard")) ?? Object.keys(action.workers)[0]!;
      const pagePath = worker.replace(/^app/, "").replace(/\/page$/, "").replace(/\[[^\]]+\]/g, randomUUID());
      return { id, filename: action.filename, exportedName: action.exportedName, pagePath };
    });
}

async function signedInRequest(browser: Browser, username: string, password: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInThroughForm(page, base, username, password, "/account");
  return { context, page, request: context.request };
}

/** Calls a server action like React does: JSON-encoded arguments, the action id in Next-Action. */
async function callAction(request: APIRequestContext, action: ServerAction) {
  const response = await request.post(`${base}${action.pagePath}`, {
    headers: { "Next-Action": action.id, "Content-Type": "text/plain;charset=UTF-8", Accept: "text/x-component", Origin: base },
    data: JSON.stringify([{ id: randomUUID(), clientId: "postman", userId: randomUUID(), name: "x", enabled: false }]),
    maxRedirects: 0,
  });
  return { status: response.status(), body: await response.text() };
}

test("dashboard access: there are dashboard pages and actions to check (the enumeration works)", async () => {
  expect(dashboardPages()).toContain("/dashboard");
  expect(dashboardPages().length).toBeGreaterThan(5);
  expect(dashboardActions().length).toBeGreaterThan(5);
});

test("dashboard access: signed out, every dashboard page sends the browser to sign in and back", async ({ page }) => {
  for (const pagePath of dashboardPages()) {
    await page.goto(`${base}${pagePath}`);
    await expect(page, pagePath).toHaveURL(`${base}/login?returnTo=${encodeURIComponent(pagePath)}`);
  }
});

test("dashboard access: a non-admin gets 403 on every dashboard page; the 403 page is accessible", async ({ browser }) => {
  const alice = await signedInRequest(browser, DEMO_USER.username, DEMO_USER.password);
  for (const pagePath of dashboardPages()) {
    const response = await alice.page.goto(`${base}${pagePath}`);
    expect(response?.status(), pagePath).toBe(403);
    await expect(alice.page.getByRole("heading", { name: "You do not have access to this page" })).toBeVisible();
  }
  await expectAccessible(alice.page, "the 403 page");
  await alice.context.close();
});

test("dashboard access: every dashboard action refuses a non-admin (403) and a signed-out caller (401) without running", async ({ browser }) => {
  const actions = dashboardActions();
  const alice = await signedInRequest(browser, DEMO_USER.username, DEMO_USER.password);
  const anonymous = await browser.newContext();
  for (const action of actions) {
    const label = `${action.filename}#${action.exportedName}`;
    const asAlice = await callAction(alice.request, action);
    expect(asAlice.body, label).toContain('"ok":false,"status":403');
    const asNobody = await callAction(anonymous.request, action);
    expect(asNobody.body, label).toContain('"ok":false,"status":401');
  }
  await alice.context.close();
  await anonymous.close();
});

test("dashboard access: an admin reaches every static dashboard page", async ({ browser }) => {
  const admin = await signedInRequest(browser, "admin", TEST_ADMIN_PASSWORD);
  for (const pagePath of dashboardPages().filter((candidate) => !/[0-9a-f]{8}-/.test(candidate))) {
    const response = await admin.page.goto(`${base}${pagePath}`);
    expect(response?.status(), pagePath).toBe(200);
    await expectAccessible(admin.page, pagePath);
  }
  await admin.context.close();
});

test("dashboard access: a cross-site POST to a dashboard action is refused before Next.js sees it", async ({ browser }) => {
  const admin = await signedInRequest(browser, "admin", TEST_ADMIN_PASSWORD);
  const [action] = dashboardActions();
  const response = await admin.request.post(`${base}${action!.pagePath}`, {
    headers: { "Next-Action": action!.id, "Content-Type": "text/plain;charset=UTF-8", Origin: "https://evil.example", "Sec-Fetch-Site": "cross-site" },
    data: "[{}]",
    maxRedirects: 0,
  });
  expect(response.status()).toBe(403);
  await admin.context.close();
});
