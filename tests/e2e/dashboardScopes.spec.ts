// The dashboard's scope pages in Chromium, as an administrator uses them:
// create (with a refused first try), reword a scope and see the words on the
// consent screen, and delete — refused while a client may request the scope.
import type { Browser, Page } from "@playwright/test";
import { DEMO_SPA, DEMO_USER, authorizeUrl, newPkce } from "../helpers/codeFlow";
import { expect, test, expectAccessible, signInThroughForm } from "../helpers/browser";
import { queryStore } from "../helpers/processes";
import { startSeededServer, TEST_ADMIN_PASSWORD } from "../helpers/server";

// One administrator's session walks through the pages in order; a later step builds on an earlier one.
test.describe.configure({ mode: "serial" });

let env: Awaited<ReturnType<typeof startSeededServer>>;
let base: string;
let admin: Page;

test.beforeAll(async ({ browser }) => {
  env = await startSeededServer();
  base = env.server.url;
  admin = await (await browser.newContext()).newPage();
  // Deleting asks for a confirmation first.
  admin.on("dialog", (dialog) => void dialog.accept());
  await signInThroughForm(admin, base, "admin", TEST_ADMIN_PASSWORD, "/dashboard/scopes");
});
test.afterAll(async () => {
  await admin?.context().close();
  await env?.stop();
});

const scopeRow = (page: Page, name: string) => page.getByRole("row").filter({ has: page.getByRole("link", { name, exact: true }) });

async function openScope(name: string) {
  await admin.goto(`${base}/dashboard/scopes`);
  await admin.getByRole("link", { name, exact: true }).click();
  await expect(admin.getByRole("heading", { level: 1, name: `Scope ${name}` })).toBeVisible();
}

test("lists the scopes with the standard ones marked", async () => {
  await admin.goto(`${base}/dashboard/scopes`);
  await expect(admin.getByRole("heading", { level: 1, name: "Scopes" })).toBeVisible();
  await expect(scopeRow(admin, "openid")).toContainText("standard");
  // The demo "api" scope: its audience, its claim, and the two demo clients that may request it.
  await expect(scopeRow(admin, "api")).toContainText("urn:gatehouse:api");
  await expect(scopeRow(admin, "api").getByRole("cell").last()).toHaveText("2");
  await expectAccessible(admin, "scope list");
});

test("creates a scope; bad input is explained on the form first", async () => {
  await admin.goto(`${base}/dashboard/scopes`);
  await admin.getByRole("link", { name: "New scope" }).click();
  await expect(admin.getByRole("heading", { level: 1, name: "New scope" })).toBeVisible();
  await expectAccessible(admin, "new scope form");

  await admin.getByLabel("Name", { exact: true }).fill("reports read");
  await admin.getByLabel("Display name").fill("Your reports");
  await admin.getByLabel("Resources (access token audiences)").fill("https://reports.example.com\nreports-api");
  const released = admin.getByRole("group", { name: "Claims released (ID token and userinfo)" });
  const inAccessTokens = admin.getByRole("group", { name: "Claims also put in access tokens" });
  await inAccessTokens.getByLabel("Email address (email)").check();
  await admin.getByRole("button", { name: "Create scope" }).click();
  await expect(admin.getByLabel("Name", { exact: true })).toHaveAccessibleDescription(/RFC 6749 scope token/);
  await expect(admin.getByText('"reports-api" is not an absolute URI or URN')).toBeVisible();
  await expect(admin.getByText('also tick email under "Claims released"')).toBeVisible();
  await expectAccessible(admin, "new scope form with errors");

  await admin.getByLabel("Name", { exact: true }).fill("reports:read");
  await admin.getByLabel("Description").fill("Read the reports you have access to.");
  await admin.getByLabel("Resources (access token audiences)").fill("https://reports.example.com\nurn:example:reports");
  await released.getByLabel("Email address (email)").check();
  await admin.getByRole("button", { name: "Create scope" }).click();
  await expect(admin.getByText("Scope “reports:read” was created.")).toBeVisible();
  await expect(scopeRow(admin, "reports:read")).toContainText("Read the reports you have access to.");
  await expect(scopeRow(admin, "reports:read")).toContainText("https://reports.example.com, urn:example:reports");
  await expectAccessible(admin, "scope list after create");

  // Names are unique.
  await admin.goto(`${base}/dashboard/scopes/new`);
  await admin.getByLabel("Name", { exact: true }).fill("reports:read");
  await admin.getByLabel("Display name").fill("Again");
  await admin.getByRole("button", { name: "Create scope" }).click();
  await expect(admin.getByText('A scope named "reports:read" already exists.')).toBeVisible();
});

test("a reworded scope is what the user reads on the consent screen", async ({ browser }) => {
  await openScope("api");
  await expectAccessible(admin, "scope edit page");
  await admin.getByLabel("Display name").fill("Reports API");
  await admin.getByLabel("Description").fill("Read and export your monthly reports.");
  await admin.getByRole("button", { name: "Save changes" }).click();
  await expect(admin.getByText("Saved.")).toBeVisible();

  const alice = await aliceAtConsent(browser, "api");
  await expect(alice.getByText("Reports API")).toBeVisible();
  await expect(alice.getByText("Read and export your monthly reports.")).toBeVisible();
  await expectAccessible(alice, "consent page with the reworded scope");
  await alice.context().close();
});

/** alice, signed in, on the consent page for the demo SPA asking for `scope`. */
async function aliceAtConsent(browser: Browser, scope: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(authorizeUrl(base, { clientId: DEMO_SPA.clientId, redirectUri: DEMO_SPA.redirectUri, scope, state: "s", pkce: newPkce() }));
  await page.getByLabel("Username or email").fill(DEMO_USER.username);
  await page.getByLabel("Password").fill(DEMO_USER.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/consent\?interaction=/);
  return page;
}

test("deleting a scope that clients may request is refused with their names", async () => {
  await openScope("api");
  await expect(admin.getByRole("region", { name: "Clients allowed to request it" })).toContainText("Postman (postman)");
  await admin.getByRole("button", { name: "Delete scope" }).click();
  await expect(admin.getByRole("alert").filter({ hasText: "cannot be deleted" })).toHaveText(
    'The scope "api" cannot be deleted: 2 clients may still request it: Demo single-page app (spa), Postman (postman). Remove the scope from those clients first.',
  );
  await expectAccessible(admin, "scope edit page with the refusal");
  await admin.goto(`${base}/dashboard/scopes`);
  await expect(scopeRow(admin, "api")).toBeVisible();
});

test("deletes a scope no client uses", async () => {
  await openScope("reports:read");
  await expect(admin.getByRole("region", { name: "Clients allowed to request it" })).toContainText("None.");
  await admin.getByRole("button", { name: "Delete scope" }).click();
  await expect(admin.getByText("Scope “reports:read” was deleted.")).toBeVisible();
  await expect(admin.getByRole("link", { name: "reports:read", exact: true })).toHaveCount(0);
  await expectAccessible(admin, "scope list after delete");
});

test("standard scopes can be reworded but not deleted", async () => {
  await openScope("email");
  await expect(admin.getByText("Standard scopes cannot be deleted")).toBeVisible();
  await expect(admin.getByRole("button", { name: "Delete scope" })).toHaveCount(0);
  await expect(admin.getByText("email, email_verified")).toBeVisible();
  await expect(admin.getByLabel("Resources (access token audiences)")).toHaveCount(0);
  // Only the claims the scope releases can be put into access tokens.
  await expect(admin.getByLabel("Email verified (email_verified)")).toBeVisible();
  await expect(admin.getByLabel("Full name (name)")).toHaveCount(0);
  await admin.getByLabel("Description").fill("See the email address you signed up with.");
  await admin.getByRole("button", { name: "Save changes" }).click();
  await expect(admin.getByText("Saved.")).toBeVisible();
  await expectAccessible(admin, "standard scope edit page");
});

test("every change above is in the audit log", async () => {
  // The embedded database has one opener: read it once the server is done.
  await env.server.stop();
  const rows = await queryStore<{ kind: string; scope: string }>(
    env.store,
    `SELECT "kind", "details"->>'scope' AS "scope" FROM "audit_events" WHERE "kind" LIKE 'admin.scope.%' ORDER BY "at"`,
  );
  expect(rows).toEqual([
    { kind: "admin.scope.created", scope: "reports:read" },
    { kind: "admin.scope.updated", scope: "api" },
    { kind: "admin.scope.deleted", scope: "reports:read" },
    { kind: "admin.scope.updated", scope: "email" },
  ]);
});
