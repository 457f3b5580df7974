// Issue #5 item 1 over plain HTTP: the dashboard is for admins only, checked on
// the server for every page and every action, not by hiding links. The pages
// and actions are enumerated from the build (tests/helpers/dashboardRoutes.ts),
// so a new one is covered the day it is added. Actions are replayed the way
// the browser calls them (POST with the Next-Action header) with a non-admin's
// session and with none. tests/e2e/dashboardAccess.spec.ts checks in Chromium
// what needs a browser: every page an admin opens, and the 403 page, pass axe-core.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createClient, createUser } from "../helpers/adminRecords";
import { DEMO_USER } from "../helpers/codeFlow";
import { dashboardActions, dashboardPages, type ServerAction } from "../helpers/dashboardRoutes";
import { signedInCookie } from "../helpers/portal";
import { TEST_ADMIN_PASSWORD } from "../helpers/server";
import { sharedSeededServer } from "../helpers/sharedServer";

const FORBIDDEN = "You do not have access to this page";

let suite: Awaited<ReturnType<typeof sharedSeededServer>>;
let base: string;
let alice: string;
let admin: string;

const signIn = (username: string, password: string) => signedInCookie(base, username, password);

beforeAll(async () => {
  suite = await sharedSeededServer();
  base = suite.server.url;
  alice = await signIn(DEMO_USER.username, DEMO_USER.password);
  admin = await signIn("admin", TEST_ADMIN_PASSWORD);
});
afterAll(async () => {
  await suite?.stop();
});

/** Calls a server action like React does: JSON-encoded arguments, the action id in Next-Action. */
async function callAction(action: ServerAction, cookie: string | null, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${action.pagePath}`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "Next-Action": action.id,
      "Content-Type": "text/plain;charset=UTF-8",
      Accept: "text/x-component",
      Origin: base,
      ...(cookie ? { cookie } : {}),
      ...headers,
    },
    body: JSON.stringify([{ id: randomUUID(), clientId: "postman", userId: randomUUID(), name: "x", enabled: false }]),
  });
  return { status: response.status, body: await response.text() };
}

async function get(pagePath: string, cookie: string | null) {
  const response = await fetch(`${base}${pagePath}`, { redirect: "manual", headers: cookie ? { cookie } : {} });
  return { status: response.status, location: response.headers.get("location"), body: await response.text() };
}

describe("dashboard access", () => {
  test("there are dashboard pages and actions to check (the enumeration works)", () => {
    expect(dashboardPages()).toContain("/dashboard");
    expect(dashboardPages().length).toBeGreaterThan(5);
    expect(dashboardActions().length).toBeGreaterThan(5);
  });

  test("signed out, every dashboard page sends the browser to sign in and back", async () => {
    for (const pagePath of dashboardPages()) {
      const answer = await get(pagePath, null);
      expect(answer.status, pagePath).toBe(307);
      expect(answer.location, pagePath).toBe(`/login?returnTo=${encodeURIComponent(pagePath)}`);
    }
  });

  test("a non-admin gets 403 and the page that says so on every dashboard page", async () => {
    for (const pagePath of dashboardPages()) {
      const answer = await get(pagePath, alice);
      expect(answer.status, pagePath).toBe(403);
      expect(answer.body, pagePath).toContain(FORBIDDEN);
    }
  });

  test("a non-admin's 403 on a real client's and a real user's pages tells nothing about them", async () => {
    const client = await createClient(base, admin, "hidden-app", {
      displayName: "Hidden App",
      clientType: "public",
      redirectUris: ["http://127.0.0.1:4999/callback"],
      grantTypes: ["authorization_code"],
      scopes: [],
    });
    const user = await createUser(base, admin, "hidden-user");
    const pages = [
      "/dashboard/clients",
      "/dashboard/clients/new",
      `/dashboard/clients/${client.id}`,
      `/dashboard/clients/${client.id}/grants`,
      `/dashboard/users/${user.id}`,
      `/dashboard/users/${user.id}/grants`,
    ];
    for (const pagePath of pages) {
      const answer = await get(pagePath, alice);
      expect(answer.status, pagePath).toBe(403);
      expect(answer.body, pagePath).toContain(FORBIDDEN);
      expect(answer.body, pagePath).not.toContain(client.clientId);
      expect(answer.body, pagePath).not.toContain(user.username);
    }
  });

  test("every dashboard action refuses a non-admin (403) and a signed-out caller (401) without running", async () => {
    for (const action of dashboardActions()) {
      const label = `${action.filename}#${action.exportedName}`;
      expect((await callAction(action, alice)).body, label).toContain('"ok":false,"status":403');
      expect((await callAction(action, null)).body, label).toContain('"ok":false,"status":401');
    }
  });

  test("a cross-site POST to a dashboard action is refused before Next.js sees it, an admin's session notwithstanding", async () => {
    const [action] = dashboardActions();
    const response = await fetch(`${base}${action!.pagePath}`, {
      method: "POST",
      redirect: "manual",
      headers: { "Next-Action": action!.id, "Content-Type": "text/plain;charset=UTF-8", Origin: "https://evil.example", "Sec-Fetch-Site": "cross-site", cookie: admin },
      body: "[{}]",
    });
    expect(response.status).toBe(403);
  });
});
