// The dashboard's scope pages in Chromium, as an administrator uses them:
// create (with a refused first try), reword a scope and see the words on the
// consent screen, and delete — refused while a client may request the scope.
// The reworded scope and the two clients that may request it are this spec's
// own, not the demo "api" scope that other specs on the worker's shared server
// see on their consent screens. axe-core runs once per distinct page: here the
// scope's page; the list and the new scope form in dashboardAccess.spec.ts,
// the consent page in account.spec.ts.
import type { Browser, Page } from "@playwright/test";
import { authorizeUrl, newPkce } from "../helpers/codeFlow";
import { expect, test, adminPage, addSessionCookies, auditLogRows, expectAccessible } from "../helpers/browser";
import { signedInCookie } from "../helpers/portal";
import { uniqueName, type CreatedClient, type CreatedScope } from "../helpers/adminRecords";

// One administrator's session walks through the pages in order; a later step builds on an earlier one.
test.describe.configure({ mode: "serial" });

const APP_REDIRECT = "http://localhost:5173/scopes-callback";
const RESOURCE = "urn:example:e2e-scopes";
/** The scope the spec creates through the form (unique on the shared server). */
const REPORTS = `${uniqueName("reports")}:read`;

let base: string;
let admin: Page;
/** A scope two clients may request, made before the pages are used. */
let shared: CreatedScope;
let appA: CreatedClient;
let appB: CreatedClient;

test.beforeAll(async ({ browser, gatehouse }) => {
  base = gatehouse.url;
  shared = await gatehouse.createScope("e2e-api", { displayName: "E2E API", description: "Call the E2E API on your behalf.", resources: [RESOURCE] });
  appA = await gatehouse.createClient("scopes-a", { displayName: "Scopes App A", clientType: "public", redirectUris: [APP_REDIRECT], grantTypes: ["authorization_code"], scopes: [shared.name] });
  appB = await gatehouse.createClient("scopes-b", { displayName: "Scopes App B", clientType: "confidential", grantTypes: ["client_credentials"], scopes: [shared.name] });
  admin = await adminPage(browser, gatehouse);
  // Deleting asks for a confirmation first.
  admin.on("dialog", (dialog) => void dialog.accept());
});
test.afterAll(async () => {
  await admin?.context().close();
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
  // The spec's scope: its audience, and the two clients that may request it.
  await expect(scopeRow(admin, shared.name)).toContainText(RESOURCE);
  await expect(scopeRow(admin, shared.name).getByRole("cell").last()).toHaveText("2");
});

test("creates a scope; bad input is explained on the form first", async () => {
  await admin.goto(`${base}/dashboard/scopes`);
  await admin.getByRole("link", { name: "New scope" }).click();
  await expect(admin.getByRole("heading", { level: 1, name: "New scope" })).toBeVisible();

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

  await admin.getByLabel("Name", { exact: true }).fill(REPORTS);
  await admin.getByLabel("Description").fill("Read the reports you have access to.");
  await admin.getByLabel("Resources (access token audiences)").fill("https://reports.example.com\nurn:example:reports");
  await released.getByLabel("Email address (email)").check();
  await admin.getByRole("button", { name: "Create scope" }).click();
  await expect(admin.getByText(`Scope “${REPORTS}” was created.`)).toBeVisible();
  await expect(scopeRow(admin, REPORTS)).toContainText("Read the reports you have access to.");
  await expect(scopeRow(admin, REPORTS)).toContainText("https://reports.example.com, urn:example:reports");

  // Names are unique.
  await admin.goto(`${base}/dashboard/scopes/new`);
  await admin.getByLabel("Name", { exact: true }).fill(REPORTS);
  await admin.getByLabel("Display name").fill("Again");
  await admin.getByRole("button", { name: "Create scope" }).click();
  await expect(admin.getByText(`A scope named "${REPORTS}" already exists.`)).toBeVisible();
});

test("a reworded scope is what the user reads on the consent screen", async ({ browser, gatehouse }) => {
  await openScope(shared.name);
  await expectAccessible(admin, "scope edit page");
  await admin.getByLabel("Display name").fill("Reports API");
  await admin.getByLabel("Description").fill("Read and export your monthly reports.");
  await admin.getByRole("button", { name: "Save changes" }).click();
  await expect(admin.getByText("Saved.")).toBeVisible();

  const user = await gatehouse.createUser("consenting");
  const consent = await userAtConsent(browser, user, shared.name);
  await expect(consent.getByText("Reports API")).toBeVisible();
  await expect(consent.getByText("Read and export your monthly reports.")).toBeVisible();
  await consent.context().close();
});

/** The user, signed in (over HTTP: the sign-in form is signin.spec.ts's), on the consent page for app A asking for `scope`. */
async function userAtConsent(browser: Browser, user: { username: string; password: string }, scope: string): Promise<Page> {
  const context = await browser.newContext();
  await addSessionCookies(context, base, await signedInCookie(base, user.username, user.password));
  const page = await context.newPage();
  await page.goto(authorizeUrl(base, { clientId: appA.clientId, redirectUri: APP_REDIRECT, scope, state: "s", pkce: newPkce() }));
  await expect(page).toHaveURL(/\/consent\?interaction=/);
  return page;
}

test("deleting a scope that clients may request is refused with their names", async () => {
  await openScope(shared.name);
  await expect(admin.getByRole("region", { name: "Clients allowed to request it" })).toContainText(`Scopes App B (${appB.clientId})`);
  await admin.getByRole("button", { name: "Delete scope" }).click();
  await expect(admin.getByRole("alert").filter({ hasText: "cannot be deleted" })).toHaveText(
    `The scope "${shared.name}" cannot be deleted: 2 clients may still request it: Scopes App A (${appA.clientId}), Scopes App B (${appB.clientId}). Remove the scope from those clients first.`,
  );
  await admin.goto(`${base}/dashboard/scopes`);
  await expect(scopeRow(admin, shared.name)).toBeVisible();
});

test("deletes a scope no client uses", async () => {
  await openScope(REPORTS);
  await expect(admin.getByRole("region", { name: "Clients allowed to request it" })).toContainText("None.");
  await admin.getByRole("button", { name: "Delete scope" }).click();
  await expect(admin.getByText(`Scope “${REPORTS}” was deleted.`)).toBeVisible();
  await expect(admin.getByRole("link", { name: REPORTS, exact: true })).toHaveCount(0);
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
});

test("every change above is in the audit log", async ({ browser, gatehouse }) => {
  const rows = (await auditLogRows(browser, gatehouse, { prefix: "admin.scope." }))
    .map((row) => ({ kind: row.kind, scope: row.details?.scope }))
    .filter((row) => [shared.name, REPORTS, "email"].includes(String(row.scope)));
  expect(rows).toEqual([
    { kind: "admin.scope.created", scope: shared.name },
    { kind: "admin.scope.created", scope: REPORTS },
    { kind: "admin.scope.updated", scope: shared.name },
    { kind: "admin.scope.deleted", scope: REPORTS },
    { kind: "admin.scope.updated", scope: "email" },
  ]);
});
