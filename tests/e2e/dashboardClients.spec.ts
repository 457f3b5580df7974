// The dashboard's client management in Chromium, end to end: an admin makes
// clients through the form, and those clients work (or stop working) at the
// protocol endpoints from the very next request. The clients' IDs are unique
// on the worker's shared server. axe-core runs once per distinct page: here the
// client's page (showing a new secret) and the unregistered redirect URI error
// page; the list and the new client form in dashboardAccess.spec.ts, the
// consent page in account.spec.ts. That the pages refuse non-admins is
// tests/integration/dashboardAccess.test.ts's.
import { createRemoteJWKSet, decodeJwt, jwtVerify } from "jose";
import type { BrowserContext, Page } from "@playwright/test";
import { expect, test, appNavigationAfter, auditLogRows, expectAccessible, addAdminSession } from "../helpers/browser";
import { uniqueName } from "../helpers/adminRecords";
import { authorizeUrl, exchangeCode, newPkce } from "../helpers/codeFlow";
import { freePort } from "../helpers/server";

test.describe.configure({ mode: "serial" });

let base: string;
let context: BrowserContext;
let page: Page;

const SPA = { clientId: uniqueName("e2e-spa"), displayName: "E2E Single-Page App" };
const SERVICE = { clientId: uniqueName("e2e-service"), displayName: "E2E Service" };
let spaRedirect: string;
let spaEditUrl: string;
/** The service's page, found once through the list's link (openClient); later steps go straight there. */
let serviceEditUrl: string;
let spaAccessToken: string;
let serviceSecret: string;

test.beforeAll(async ({ browser, gatehouse }) => {
  base = gatehouse.url;
  // A loopback redirect URI (RFC 8252 §7.3) where nothing listens: the browser's request to it is what counts.
  spaRedirect = `http://127.0.0.1:${await freePort()}/callback`;
  context = await browser.newContext();
  await addAdminSession(context, gatehouse);
  page = await context.newPage();
});
test.afterAll(async () => {
  await context?.close();
});


function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString("base64")}`;
}

async function clientCredentials(clientId: string, secret: string): Promise<Response> {
  return fetch(`${base}/connect/token`, {
    method: "POST",
    headers: { Authorization: basic(clientId, secret), "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", scope: "api" }),
  });
}

async function userinfo(accessToken: string): Promise<Response> {
  return fetch(`${base}/connect/userinfo`, { headers: { Authorization: `Bearer ${accessToken}` } });
}

const secretField = () => page.getByRole("textbox", { name: "Client secret", exact: true });

/** Accepts the next window.confirm, then clicks. */
async function clickConfirmed(name: string) {
  page.once("dialog", (dialog) => void dialog.accept());
  await page.getByRole("button", { name }).click();
}

async function openClient(displayName: string, clientId: string) {
  await page.goto(`${base}/dashboard/clients?q=${encodeURIComponent(clientId)}`);
  await page.getByRole("link", { name: `Edit ${displayName} (${clientId})` }).click();
  await expect(page.getByRole("heading", { level: 1, name: displayName })).toBeVisible();
}

test("AZ-01 / PK-01: an admin creates a public client in the dashboard, and it completes the code flow with PKCE at once", async () => {
  await page.goto(`${base}/dashboard/clients`);
  await expect(page.getByRole("heading", { level: 1, name: "Clients" })).toBeVisible();
  await expect(page.getByRole("cell", { name: "postman", exact: true })).toBeVisible();

  await page.getByRole("link", { name: "New client" }).click();
  await expect(page).toHaveURL(`${base}/dashboard/clients/new`);
  await page.getByLabel("Client ID").fill(SPA.clientId);
  await page.getByLabel("Display name").fill(SPA.displayName);
  await page.getByRole("radio", { name: "Public" }).check();
  await page.getByLabel("Redirect URIs", { exact: true }).fill(spaRedirect);
  await expect(page.getByRole("checkbox", { name: "Authorization code" })).toBeChecked();
  await page.getByRole("checkbox", { name: /^profile / }).check();
  await page.getByRole("button", { name: "Create client" }).click();

  await expect(page).toHaveURL(/\/dashboard\/clients\/[0-9a-f-]{36}\?created=1$/);
  spaEditUrl = page.url().replace(/\?created=1$/, "");
  await expect(page.getByText(`Client ${SPA.clientId} created.`)).toBeVisible();
  await expect(page.getByRole("heading", { level: 1, name: SPA.displayName })).toBeVisible();
  await expect(page.getByRole("link", { name: "Authorizations and tokens" })).toHaveAttribute("href", `${new URL(spaEditUrl).pathname}/grants`);
  // A public client has no secret to rotate.
  await expect(page.getByRole("button", { name: "Rotate secret" })).toHaveCount(0);

  // The admin, still signed in, authorizes the new client.
  const pkce = newPkce();
  const flow = { state: "state-e2e-spa", nonce: "nonce-e2e-spa" };
  await page.goto(authorizeUrl(base, { clientId: SPA.clientId, redirectUri: spaRedirect, scope: "openid profile", state: flow.state, pkce, extra: { nonce: flow.nonce } }));
  await expect(page.getByRole("heading", { name: `Allow ${SPA.displayName} to access your account?` })).toBeVisible();
  const callback = await appNavigationAfter(page, spaRedirect, () => page.getByRole("button", { name: "Allow" }).click());
  expect(callback.searchParams.get("state")).toBe(flow.state);
  expect(callback.searchParams.get("iss")).toBe(base);

  const response = await exchangeCode(base, { clientId: SPA.clientId, code: callback.searchParams.get("code")!, verifier: pkce.verifier, redirectUri: spaRedirect });
  const body = await response.json();
  expect(response.status, JSON.stringify(body)).toBe(200);
  expect(body.token_type).toBe("Bearer");
  expect(decodeJwt(body.access_token)).toMatchObject({ client_id: SPA.clientId, scope: "openid profile", iss: base });
  expect(decodeJwt(body.id_token)).toMatchObject({ aud: SPA.clientId, nonce: flow.nonce, iss: base, preferred_username: "admin" });
  expect(body.refresh_token).toBeUndefined(); // no refresh_token grant, no offline_access
  spaAccessToken = body.access_token;
  expect((await userinfo(spaAccessToken)).status).toBe(200);
});

test("the list searches by client ID or display name and links to each client", async () => {
  await page.goto(`${base}/dashboard/clients`);
  await page.getByLabel("Search by client ID or name").fill("single-page");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(`${base}/dashboard/clients?q=single-page`);
  // The seeded "Demo single-page app" and the new one match by name; Postman does not.
  await expect(page.getByRole("cell", { name: SPA.clientId, exact: true })).toBeVisible();
  await expect(page.getByRole("cell", { name: "spa", exact: true })).toBeVisible();
  await expect(page.getByRole("cell", { name: "postman", exact: true })).toHaveCount(0);

  await page.goto(`${base}/dashboard/clients?q=${encodeURIComponent("100%_no_such")}`);
  await expect(page.getByText("No client matches “100%_no_such”.")).toBeVisible();
});

test("AZ-04: a redirect URI edited in the dashboard is enforced on the next request", async () => {
  const newRedirect = `http://localhost:${new URL(spaRedirect).port}/signed-in`;
  await page.goto(spaEditUrl);
  await page.getByLabel("Redirect URIs", { exact: true }).fill(newRedirect);
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByText("Changes saved. They apply from the next request.")).toBeVisible();

  const old = authorizeUrl(base, { clientId: SPA.clientId, redirectUri: spaRedirect, scope: "openid profile", state: "s1", pkce: newPkce() });
  const refused = await page.goto(old);
  expect(refused?.status()).toBe(400);
  await expect(page.getByRole("heading", { name: "Unregistered redirect URI" })).toBeVisible();
  await expectAccessible(page, "the unregistered redirect URI error page");

  // Consent for openid profile is remembered (explicit consent), so the new URI gets a code straight away.
  const pkce = newPkce();
  const callback = await appNavigationAfter(page, newRedirect, () =>
    page.goto(authorizeUrl(base, { clientId: SPA.clientId, redirectUri: newRedirect, scope: "openid profile", state: "s2", pkce })).catch(() => undefined),
  );
  expect(callback.searchParams.get("state")).toBe("s2");
  const response = await exchangeCode(base, { clientId: SPA.clientId, code: callback.searchParams.get("code")!, verifier: pkce.verifier, redirectUri: newRedirect });
  expect(response.status).toBe(200);
  spaRedirect = newRedirect;
});

test("IT-02: ES256 chosen for ID tokens in the dashboard signs the app's next ID token with ES256; the access token stays RS256", async () => {
  await page.goto(spaEditUrl);
  const idTokenAlg = page.getByLabel("ID token signing algorithm");
  await expect(idTokenAlg).toHaveValue("");
  await expect(idTokenAlg).toHaveAccessibleDescription("Server default: RS256.");
  await idTokenAlg.selectOption("ES256");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByText("Changes saved. They apply from the next request.")).toBeVisible();
  await page.reload();
  await expect(page.getByLabel("ID token signing algorithm")).toHaveValue("ES256");
  await expect(page.getByLabel("Access token signing algorithm")).toHaveValue("");

  const pkce = newPkce();
  const callback = await appNavigationAfter(page, spaRedirect, () =>
    page.goto(authorizeUrl(base, { clientId: SPA.clientId, redirectUri: spaRedirect, scope: "openid profile", state: "s3", pkce, extra: { nonce: "n3" } })).catch(() => undefined),
  );
  const response = await exchangeCode(base, { clientId: SPA.clientId, code: callback.searchParams.get("code")!, verifier: pkce.verifier, redirectUri: spaRedirect });
  const body = await response.json();
  expect(response.status, JSON.stringify(body)).toBe(200);
  const jwks = createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`));
  const idToken = await jwtVerify(body.id_token, jwks, { issuer: base, audience: SPA.clientId });
  expect(idToken.protectedHeader.alg).toBe("ES256");
  expect(idToken.payload.nonce).toBe("n3");
  expect((await jwtVerify(body.access_token, jwks, { issuer: base })).protectedHeader.alg).toBe("RS256");
});

test("BCP-07: the form shows what is wrong with a bad redirect URI or a taken client ID, and saves nothing", async () => {
  await page.goto(`${base}/dashboard/clients/new`);
  await page.getByLabel("Display name").fill("Bad redirects");
  const redirects = page.getByLabel("Redirect URIs", { exact: true });
  const create = page.getByRole("button", { name: "Create client" });

  await redirects.fill("https://ok.example.com/callback\njavascript:alert(1)");
  await create.click();
  await expect(page.getByText(/javascript:alert\(1\) uses the scheme javascript:.*\(line 2\)/)).toBeVisible();
  await expect(redirects).toHaveAttribute("aria-invalid", "true");

  for (const [uri, message] of [
    ["http://app.example.com/callback", /uses http; use https/],
    ["https://app.example.com/callback#token", /has a fragment/],
    ["/callback", /is not an absolute URL/],
  ] as const) {
    await redirects.fill(uri);
    await create.click();
    await expect(page.getByText(message)).toBeVisible();
  }
  await expect(page).toHaveURL(`${base}/dashboard/clients/new`);

  // Checked on the server: a client ID that already exists.
  await redirects.fill("com.example.bad:/callback");
  await page.getByLabel("Client ID").fill("spa");
  await create.click();
  await expect(page.getByText("A client with the client ID spa already exists; choose another.")).toBeVisible();
  await expect(page.getByLabel("Client ID")).toHaveAttribute("aria-invalid", "true");

  // Client credentials on a public client.
  await page.getByLabel("Client ID").fill("");
  await page.getByRole("checkbox", { name: "Client credentials" }).check();
  await create.click();
  await expect(page.getByText(/Client credentials needs a confidential client/)).toBeVisible();

  await page.goto(`${base}/dashboard/clients?q=Bad%20redirects`);
  await expect(page.getByText("No client matches “Bad redirects”.")).toBeVisible();
});

test("CC-01 / CA-02: a confidential client's secret is shown once, works for client_credentials, and rotation replaces it at once", async () => {
  await page.goto(`${base}/dashboard/clients/new`);
  await page.getByLabel("Client ID").fill(SERVICE.clientId);
  await page.getByLabel("Display name").fill(SERVICE.displayName);
  await page.getByRole("radio", { name: "Confidential" }).check();
  await page.getByRole("checkbox", { name: "Authorization code" }).uncheck();
  await page.getByRole("checkbox", { name: "Client credentials" }).check();
  await page.getByRole("checkbox", { name: /^api / }).check();
  await page.getByRole("button", { name: "Create client" }).click();

  await expect(page.getByRole("heading", { name: "Copy the client secret now — it will not be shown again" })).toBeVisible();
  serviceSecret = await secretField().inputValue();
  expect(serviceSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  await expectAccessible(page, "the one-time secret panel");

  const issued = await clientCredentials(SERVICE.clientId, serviceSecret);
  const token = await issued.json();
  expect(issued.status, JSON.stringify(token)).toBe(200);
  expect(decodeJwt(token.access_token)).toMatchObject({ client_id: SERVICE.clientId, sub: SERVICE.clientId, scope: "api" });

  // Shown once: a reload, the list and the edit page never show it again.
  await page.reload();
  await expect(secretField()).toHaveCount(0);
  expect(await page.content()).not.toContain(serviceSecret);
  await openClient(SERVICE.displayName, SERVICE.clientId);
  serviceEditUrl = page.url();
  expect(await page.content()).not.toContain(serviceSecret);
  await expect(page.getByRole("link", { name: "Authorizations and tokens" })).toBeVisible();

  await clickConfirmed("Rotate secret");
  await expect(page.getByRole("heading", { name: "Copy the client secret now — it will not be shown again" })).toBeVisible();
  const rotated = await secretField().inputValue();
  expect(rotated).not.toBe(serviceSecret);

  const withOld = await clientCredentials(SERVICE.clientId, serviceSecret);
  expect(withOld.status).toBe(401);
  expect((await withOld.json()).error).toBe("invalid_client");
  expect((await clientCredentials(SERVICE.clientId, rotated)).status).toBe(200);
  serviceSecret = rotated;
});

test("AZ-07: a disabled client is refused at every endpoint at once, its tokens are not honoured, and enabling restores it", async () => {
  await page.goto(spaEditUrl);
  await clickConfirmed("Disable client");
  await expect(page.getByRole("button", { name: "Enable client" })).toBeVisible();
  await expect(page.getByText(/Disabled: Gatehouse refuses this client/)).toBeVisible();

  // The error page passed axe above (AZ-04); only the server's answer differs: plain HTTP.
  const refused = await fetch(authorizeUrl(base, { clientId: SPA.clientId, redirectUri: spaRedirect, scope: "openid", state: "s3", pkce: newPkce() }), { redirect: "manual" });
  expect(refused.status).toBe(400);
  expect(await refused.text()).toMatch(/<h1[^>]*>Unknown application<\/h1>/);
  const denied = await userinfo(spaAccessToken);
  expect(denied.status).toBe(401);
  expect(denied.headers.get("www-authenticate")).toContain('error="invalid_token"');

  await page.goto(serviceEditUrl);
  await clickConfirmed("Disable client");
  await expect(page.getByRole("button", { name: "Enable client" })).toBeVisible();
  const disabledService = await clientCredentials(SERVICE.clientId, serviceSecret);
  expect(disabledService.status).toBe(401);
  expect((await disabledService.json()).error).toBe("invalid_client");

  await page.goto(`${base}/dashboard/clients?q=${SERVICE.clientId}`);
  await expect(page.getByRole("row", { name: new RegExp(SERVICE.clientId) }).getByRole("cell", { name: "Disabled" })).toBeVisible();

  await page.goto(serviceEditUrl);
  await page.getByRole("button", { name: "Enable client" }).click();
  await expect(page.getByRole("button", { name: "Disable client" })).toBeVisible();
  expect((await clientCredentials(SERVICE.clientId, serviceSecret)).status).toBe(200);

  await page.goto(spaEditUrl);
  await page.getByRole("button", { name: "Enable client" }).click();
  await expect(page.getByRole("button", { name: "Disable client" })).toBeVisible();
  expect((await userinfo(spaAccessToken)).status).toBe(200);
});

test("CA-05: making a public client confidential issues its first secret, shown once; making it public again drops it", async () => {
  await page.goto(spaEditUrl);
  await page.getByRole("radio", { name: "Confidential" }).check();
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("heading", { name: "Copy the client secret now — it will not be shown again" })).toBeVisible();
  const secret = await secretField().inputValue();
  // The secret authenticates (the refusal is about the grant, not the client); a wrong one does not.
  const authenticated = await clientCredentials(SPA.clientId, secret);
  expect(authenticated.status).toBe(400);
  expect((await authenticated.json()).error).toBe("unauthorized_client");
  expect((await clientCredentials(SPA.clientId, `${secret}x`)).status).toBe(401);

  await page.reload();
  await expect(secretField()).toHaveCount(0);
  await page.getByRole("radio", { name: "Public" }).check();
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByText("Changes saved. They apply from the next request.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Rotate secret" })).toHaveCount(0);
  const asPublic = await clientCredentials(SPA.clientId, secret);
  expect(asPublic.status).toBe(401);
  expect((await asPublic.json()).error_description).toMatch(/public client/);
});

test("deleting a client asks first, then removes it with its tokens", async () => {
  await page.goto(serviceEditUrl);
  page.once("dialog", (dialog) => void dialog.dismiss());
  await page.getByRole("button", { name: "Delete client" }).click();
  await expect(page.getByRole("heading", { level: 1, name: SERVICE.displayName })).toBeVisible();
  expect((await clientCredentials(SERVICE.clientId, serviceSecret)).status).toBe(200);

  await clickConfirmed("Delete client");
  await expect(page).toHaveURL(`${base}/dashboard/clients?deleted=${SERVICE.clientId}`);
  await expect(page.getByText(`Client ${SERVICE.clientId} deleted, with its consents and tokens.`)).toBeVisible();
  await expect(page.getByRole("cell", { name: SERVICE.clientId, exact: true })).toHaveCount(0);
  const gone = await clientCredentials(SERVICE.clientId, serviceSecret);
  expect(gone.status).toBe(401);
});

test("every change is in the audit log with its client_id, and no secret is", async ({ browser, gatehouse }) => {
  const events = [
    ...(await auditLogRows(browser, gatehouse, { client: SPA.clientId, prefix: "admin.client." })),
    ...(await auditLogRows(browser, gatehouse, { client: SERVICE.clientId, prefix: "admin.client." })),
  ];
  const kinds = (clientId: string) => events.filter((event) => event.client === clientId).map((event) => event.kind);
  expect(kinds(SPA.clientId)).toEqual([
    "admin.client.created",
    "admin.client.updated",
    "admin.client.updated",
    "admin.client.disabled",
    "admin.client.enabled",
    "admin.client.updated",
    "admin.client.updated",
  ]);
  expect(kinds(SERVICE.clientId)).toEqual([
    "admin.client.created",
    "admin.client.secret_rotated",
    "admin.client.disabled",
    "admin.client.enabled",
    "admin.client.deleted",
  ]);
  const updates = events.filter((event) => event.kind === "admin.client.updated").map((event) => JSON.stringify(event.details));
  expect(updates[0]).toContain("redirectUris");
  expect(updates[1]).toContain("idTokenSigningAlg");
  expect(updates[2]).toMatch(/"clientType".*"secretIssued":true/);
  expect(JSON.stringify(events)).not.toContain(serviceSecret);
});
