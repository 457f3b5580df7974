// The dashboard's user pages in Chromium: an administrator creates a user
// who then signs in, resets their password, grants and removes the admin
// role, and disables the account while the user's browser is signed in. Her
// username is unique on the worker's shared server. She signs in over HTTP
// (the form itself is signin.spec.ts's), her browser carrying that session
// where the browser is what is being tested. axe-core runs once per distinct
// page: here the user detail page; the list, the new user form, the dashboard
// home and the 403 page in dashboardAccess.spec.ts, the sign-in page in
// account.spec.ts.
import type { Browser, Page } from "@playwright/test";
import { expect, test, adminPage, addSessionCookies, auditLogRows, expectAccessible } from "../helpers/browser";
import { uniqueName } from "../helpers/adminRecords";
import { signInOverHttp } from "../helpers/portal";
import { isActiveAtIntrospection, refreshOutcome, userTokensForPostman, userinfoStatus } from "../helpers/userTokens";

// One administrator's session walks through the pages in order; a later step builds on an earlier one.
test.describe.configure({ mode: "serial" });

const REFUSED = "Incorrect username or password.";
const CAROL_USERNAME = uniqueName("carol");
const CAROL = { username: CAROL_USERNAME, name: "Carol Jones", email: `${CAROL_USERNAME}@example.com`, password: "carol-first-password", newPassword: "carol-second-password" };

let base: string;
let admin: Page;
let carolUrl: string;

test.beforeAll(async ({ browser, gatehouse }) => {
  base = gatehouse.url;
  admin = await adminPage(browser, gatehouse);
  // Role changes and disabling ask for a confirmation first.
  admin.on("dialog", (dialog) => void dialog.accept());
});
test.afterAll(async () => {
  await admin?.context().close();
});

/** A separate browser (own cookies) for the user being administered, signed in as her (over HTTP). */
async function userBrowser(browser: Browser, username: string, password: string): Promise<Page> {
  const { cookie } = await signInOverHttp(base, username, password);
  expect(cookie, `${username} signs in`).not.toBe("");
  const context = await browser.newContext();
  await addSessionCookies(context, base, cookie);
  return context.newPage();
}

/**
 * Posts the sign-in form as a browser without JavaScript does; true when it let the user in (303 with a
 * session), false when it answered with the one generic refusal.
 */
async function trySignIn(username: string, password: string): Promise<boolean> {
  const { cookie, response } = await signInOverHttp(base, username, password);
  if (cookie) return response.status === 303;
  expect(await response.text()).toContain(REFUSED);
  return false;
}

async function expectSignedIn(page: Page, username: string) {
  await page.goto(`${base}/`);
  await expect(page.getByText(`Signed in as ${username}`)).toBeVisible();
}

async function expectSignedOut(page: Page) {
  await page.goto(`${base}/`);
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
  await expect(page.getByText("Signed in as")).toHaveCount(0);
}

test("lists and searches users", async () => {
  await admin.goto(`${base}/dashboard/users`);
  await expect(admin.getByRole("heading", { level: 1, name: "Users" })).toBeVisible();
  await expect(admin.getByRole("link", { name: "alice", exact: true })).toBeVisible();
  await expect(admin.getByRole("link", { name: "admin", exact: true })).toBeVisible();
  await admin.getByLabel("Search by username, email or name").fill("Example.COM");
  await admin.getByRole("button", { name: "Search" }).click();
  await expect(admin).toHaveURL(/\?q=Example.COM/);
  await expect(admin.getByRole("link", { name: "alice", exact: true })).toBeVisible();
  await expect(admin.getByRole("link", { name: "admin", exact: true })).toHaveCount(0);
  await admin.getByLabel("Search by username, email or name").fill("nobody-has-this");
  await admin.getByRole("button", { name: "Search" }).click();
  await expect(admin.getByText("No user matches “nobody-has-this”.")).toBeVisible();
});

test("creates a user who can then sign in; bad input is explained first", async ({ browser }) => {
  await admin.goto(`${base}/dashboard/users`);
  await admin.getByRole("link", { name: "New user" }).click();
  await expect(admin.getByRole("heading", { level: 1, name: "New user" })).toBeVisible();

  await admin.getByLabel("Username").fill("alice");
  await admin.getByLabel("Email address", { exact: true }).fill("carol@");
  await admin.getByLabel("Password").fill("short");
  await admin.getByRole("button", { name: "Create user" }).click();
  await expect(admin.getByText("Enter an email address like name@example.com, or leave it empty.")).toBeVisible();
  await expect(admin.getByText("Use at least 12 characters.")).toBeVisible();
  // The taken username is found by the server and shown on its field.
  await admin.getByLabel("Email address", { exact: true }).fill(CAROL.email);
  await admin.getByLabel("Password").fill(CAROL.password);
  await admin.getByRole("button", { name: "Create user" }).click();
  await expect(admin.getByLabel("Username")).toHaveAccessibleDescription(/Another user already has this username/);

  await admin.getByLabel("Username").fill(CAROL.username);
  await admin.getByLabel("Full name").fill(CAROL.name);
  await admin.getByLabel("Email address verified").check();
  await admin.getByRole("button", { name: "Create user" }).click();
  await expect(admin.getByText(`User ${CAROL.username} was created and can sign in now.`)).toBeVisible();
  await expect(admin.getByRole("heading", { level: 1, name: `User ${CAROL.username}` })).toBeVisible();
  await expect(admin.getByRole("link", { name: "Authorizations and tokens" })).toHaveAttribute("href", /\/dashboard\/users\/[0-9a-f-]{36}\/grants$/);
  await expectAccessible(admin, "user detail page");
  carolUrl = admin.url().replace(/\?.*$/, "");

  const carol = await userBrowser(browser, CAROL.username, CAROL.password);
  await expectSignedIn(carol, CAROL.username);
  await carol.context().close();
});

test("resetting the password signs the user out; the old password fails, the new one works", async ({ browser }) => {
  const carol = await userBrowser(browser, CAROL.username, CAROL.password);

  await admin.goto(carolUrl);
  await admin.getByLabel("New password").fill(CAROL.newPassword);
  await admin.getByRole("button", { name: "Set new password" }).click();
  await expect(admin.getByText(`Password changed. ${CAROL.username} was signed out everywhere`)).toBeVisible();

  await expectSignedOut(carol);
  expect(await trySignIn(CAROL.username, CAROL.password)).toBe(false);
  expect(await trySignIn(CAROL.username, CAROL.newPassword)).toBe(true);
  await carol.context().close();
});

test("granting the admin role opens the dashboard; removing it closes it (403)", async () => {
  // Carol's side is what the server answers her session: plain HTTP (the admin's buttons are the browser's part).
  const { cookie } = await signInOverHttp(base, CAROL.username, CAROL.newPassword);
  expect((await dashboardAs(cookie)).status).toBe(403);

  await admin.goto(carolUrl);
  await admin.getByRole("button", { name: "Make administrator" }).click();
  await expect(admin.getByRole("button", { name: "Remove admin role" })).toBeVisible();
  const granted = await dashboardAs(cookie);
  expect(granted.status).toBe(200);
  expect(granted.html).toMatch(/<h1[^>]*>Dashboard<\/h1>/);

  await admin.getByRole("button", { name: "Remove admin role" }).click();
  await expect(admin.getByRole("button", { name: "Make administrator" })).toBeVisible();
  const removed = await dashboardAs(cookie);
  expect(removed.status).toBe(403);
  expect(removed.html).toContain("You do not have access to this page");
});

/** GET /dashboard with a session cookie: the status and the page. */
async function dashboardAs(cookie: string): Promise<{ status: number; html: string }> {
  const response = await fetch(`${base}/dashboard`, { headers: { cookie }, redirect: "manual" });
  return { status: response.status, html: await response.text() };
}

test("an administrator cannot disable or demote themself", async () => {
  await admin.goto(`${base}/dashboard/users`);
  await admin.getByRole("link", { name: "admin", exact: true }).click();
  await expect(admin.getByText("You cannot disable your own account; another administrator can.")).toBeVisible();
  await expect(admin.getByText("You cannot remove your own admin role; another administrator can.")).toBeVisible();
  await expect(admin.getByRole("button", { name: "Disable account" })).toHaveCount(0);
  await expect(admin.getByRole("button", { name: "Remove admin role" })).toHaveCount(0);
});

test("RT-05 / IR-02: disabling signs the open browser out, kills the user's tokens and stops sign-in; enabling lets them back in", async ({ browser }) => {
  const carol = await userBrowser(browser, CAROL.username, CAROL.newPassword);
  await expectSignedIn(carol, CAROL.username);
  // carol also uses an app (Postman) that holds her tokens.
  const app = await signInOverHttp(base, CAROL.username, CAROL.newPassword);
  const tokens = await userTokensForPostman(base, app.cookie);
  expect(await isActiveAtIntrospection(base, tokens.access_token)).toBe(true);

  await admin.goto(carolUrl);
  await admin.getByRole("button", { name: "Disable account" }).click();
  await expect(admin.getByRole("button", { name: "Enable account" })).toBeVisible();
  await expect(admin.getByText("Disabled · User · 0 active sessions")).toBeVisible();

  await expectSignedOut(carol);
  expect(await trySignIn(CAROL.username, CAROL.newPassword)).toBe(false);
  expect(await refreshOutcome(base, tokens.refresh_token)).toMatchObject({ status: 400, error: "invalid_grant" });
  expect(await isActiveAtIntrospection(base, tokens.access_token)).toBe(false);
  expect(await userinfoStatus(base, tokens.access_token)).toBe(401);

  await admin.getByRole("button", { name: "Enable account" }).click();
  await expect(admin.getByRole("button", { name: "Disable account" })).toBeVisible();
  expect(await trySignIn(CAROL.username, CAROL.newPassword)).toBe(true);
  await carol.context().close();

  await admin.goto(`${base}/dashboard/users?q=${CAROL.username}`);
  await expect(admin.getByRole("row").filter({ hasText: CAROL.email })).toContainText("Active");
});

test("every change above is in the audit log, with the user it concerns and no password", async ({ browser, gatehouse }) => {
  const rows = await auditLogRows(browser, gatehouse, { user: CAROL.username, prefix: "admin.user." });
  expect(rows.map((row) => row.kind)).toEqual([
    "admin.user.created",
    "admin.user.password_reset",
    "admin.user.role_granted",
    "admin.user.role_removed",
    "admin.user.disabled",
    "admin.user.enabled",
  ]);
  expect(new Set(rows.map((row) => row.actor))).toEqual(new Set(["admin"]));
  expect(new Set(rows.map((row) => row.actorId)).size).toBe(1);
  const text = JSON.stringify(rows);
  expect(text).not.toContain(CAROL.password);
  expect(text).not.toContain(CAROL.newPassword);
  expect(text).not.toContain("$argon2id$");
});
