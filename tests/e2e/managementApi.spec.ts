// Issue #13 item 6 in Chromium: an administrator allows a client the
// management API on its dashboard page; a client that automation then creates
// through the API shows on the dashboard like any other and signs a user in
// with code + PKCE; the /dashboard/api reference page renders the OpenAPI
// document. axe-core checks the client page in dashboardClients.spec.ts and
// /dashboard/api in dashboardAccess.spec.ts. Refusals and every operation over HTTP are
// tests/integration/managementApi.test.ts's.
import { expect, test, addAdminSession, appNavigationAfter } from "../helpers/browser";
import { uniqueName } from "../helpers/adminRecords";
import { authorizeUrl, exchangeCode, newPkce } from "../helpers/codeFlow";
import { callApi, managementToken, requestToken } from "../helpers/managementApi";
import { signInOverHttp } from "../helpers/portal";

let base: string;

test.beforeAll(({ gatehouse }) => {
  base = gatehouse.url;
});

test("an admin allows the API on a client's page; a client made through the API shows on the dashboard and completes code + PKCE", async ({ page, gatehouse }) => {
  page.on("dialog", (dialog) => void dialog.accept());
  const automation = await gatehouse.createClient("automation", { displayName: "Automation", clientType: "confidential", grantTypes: ["client_credentials"], scopes: [] });
  const credentials = { clientId: automation.clientId, secret: automation.secret! };
  expect((await requestToken(base, credentials)).status).toBe(400);

  await addAdminSession(page.context(), gatehouse);
  await page.goto(`${base}/dashboard/clients/${automation.id}`);
  const panel = page.locator("section", { has: page.getByRole("heading", { name: "Management API" }) });
  await expect(panel.getByText("Not allowed")).toBeVisible();
  await page.getByRole("button", { name: "Allow management API access" }).click();
  await expect(page.getByRole("button", { name: "Withdraw management API access" })).toBeVisible();
  await expect(panel.getByText("Allowed:")).toBeVisible();

  const token = await managementToken(base, credentials);
  const clientId = uniqueName("api-e2e");
  const redirectUri = "http://localhost:5173/callback";
  const created = await callApi(base, token, "POST", "/clients", {
    client_id: clientId,
    client_name: "Made through the API",
    token_endpoint_auth_method: "none",
    grant_types: ["authorization_code"],
    redirect_uris: [redirectUri],
    scope: "profile",
  });
  expect(created.status).toBe(201);

  await page.goto(`${base}/dashboard/clients?q=${clientId}`);
  await page.getByRole("link", { name: "Made through the API" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Made through the API" })).toBeVisible();
  await expect(page.getByText(clientId).first()).toBeVisible();
  await expect(page.getByLabel("Redirect URIs", { exact: true })).toHaveValue(redirectUri);

  const user = await gatehouse.createUser("api-e2e-user");
  const pkce = newPkce();
  const state = "from-the-api";
  const userContext = await page.context().browser()!.newContext();
  const userPage = await userContext.newPage();
  await userPage.goto(authorizeUrl(base, { clientId, redirectUri, scope: "openid profile", state, pkce }));
  await userPage.getByLabel("Username or email").fill(user.username);
  await userPage.getByLabel("Password").fill(user.password);
  await userPage.getByRole("button", { name: "Sign in" }).click();
  await expect(userPage.getByRole("heading", { name: "Allow Made through the API to access your account?" })).toBeVisible();
  const callback = await appNavigationAfter(userPage, redirectUri, () => userPage.getByRole("button", { name: "Allow" }).click());
  expect(callback.searchParams.get("state")).toBe(state);
  const exchanged = await exchangeCode(base, { clientId, code: callback.searchParams.get("code")!, verifier: pkce.verifier, redirectUri });
  expect(exchanged.status).toBe(200);
  expect(await exchanged.json()).toMatchObject({ token_type: "Bearer", id_token: expect.any(String) });
  await userContext.close();
});

test("/dashboard/api renders every operation of the OpenAPI document", async ({ page, gatehouse }) => {
  await addAdminSession(page.context(), gatehouse);
  await page.goto(`${base}/dashboard/api`);
  await expect(page.getByRole("heading", { level: 1, name: "Management API" })).toBeVisible();
  await expect(page.getByRole("link", { name: "API", exact: true })).toHaveAttribute("aria-current", "page");
  const document = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  // The visible level-3 headings read once (one round trip, not one wait per operation): each operation has one naming its method and path.
  // Matched as filter({ hasText }) does: case-insensitive, whitespace collapsed.
  const normalized = (text: string) => text.replace(/\s+/g, " ").trim().toLowerCase();
  const headings = (
    await page.getByRole("heading", { level: 3 }).evaluateAll((elements) => elements.filter((element) => element.checkVisibility()).map((element) => element.textContent ?? ""))
  ).map(normalized);
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const method of Object.keys(methods)) {
      expect(
        headings.some((heading) => heading.includes(normalized(method)) && heading.includes(normalized(path))),
        `a visible heading for ${method} ${path}`,
      ).toBe(true);
    }
  }
  await expect(page.getByRole("cell", { name: "redirect_uris" }).first()).toBeVisible();
});

test("deleting a user (an operation the API brought to the dashboard too): asked first, then gone with their sign-in", async ({ page, gatehouse }) => {
  page.on("dialog", (dialog) => void dialog.accept());
  const user = await gatehouse.createUser("doomed");
  await addAdminSession(page.context(), gatehouse);
  await page.goto(`${base}/dashboard/users/${user.id}`);
  await page.getByRole("button", { name: "Delete user" }).click();
  await page.waitForURL((url) => url.pathname === "/dashboard/users");
  const gone = await page.goto(`${base}/dashboard/users/${user.id}`);
  expect(gone?.status()).toBe(404);
  expect((await signInOverHttp(base, user.username, user.password)).cookie).toBe("");
});
