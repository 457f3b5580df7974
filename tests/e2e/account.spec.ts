// /account in Chromium, as a user meets it (issue #5 items 5 and 9): she
// authorizes apps, then on her account page withdraws that consent (the apps'
// tokens stop working at the token, introspection and userinfo endpoints),
// edits her profile, changes her password (her other sessions end, the old
// password stops working), signs out another session and finally her own.
// The audit log then holds what she did. Every page passes axe-core, checked
// once per page (the sign-in, consent, account and sign-out pages). She is a
// user of this test's own (not alice): the worker's server is shared.
import { decodeJwt } from "jose";
import { expect, test, appNavigationAfter, auditLogRows, expectAccessible } from "../helpers/browser";
import { DEMO_POSTMAN, DEMO_SPA, authorizeUrl, exchangeCode, newPkce } from "../helpers/codeFlow";
import { completeAuthorization, signInOverHttp } from "../helpers/portal";

const NEW_PASSWORD = "correct horse battery staple";

let base: string;

test.beforeAll(({ gatehouse }) => {
  base = gatehouse.url;
});

interface Tokens {
  access_token: string;
  refresh_token: string;
}


async function redeem(client: { clientId: string; redirectUri: string; secret?: string }, code: string | null, verifier: string): Promise<Tokens> {
  expect(code).toBeTruthy();
  const response = await exchangeCode(base, { ...client, code: code!, verifier });
  expect(response.status).toBe(200);
  const tokens = (await response.json()) as Tokens;
  expect(tokens.refresh_token).toBeTruthy();
  return tokens;
}

async function refreshStatus(client: { clientId: string; secret?: string }, refreshToken: string): Promise<{ status: number; error?: string }> {
  const body = new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken });
  const headers: Record<string, string> = { "Content-Type": "application/x-www-form-urlencoded" };
  if (client.secret) headers.Authorization = `Basic ${Buffer.from(`${client.clientId}:${client.secret}`).toString("base64")}`;
  else body.set("client_id", client.clientId);
  const response = await fetch(`${base}/connect/token`, { method: "POST", headers, body });
  const json = (await response.json()) as { error?: string };
  return { status: response.status, error: json.error };
}

/** Introspection by the confidential demo client, which may see its own tokens. */
async function introspectActive(token: string): Promise<boolean> {
  const response = await fetch(`${base}/connect/introspect`, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Authorization: `Basic ${Buffer.from(`${DEMO_POSTMAN.clientId}:${DEMO_POSTMAN.secret}`).toString("base64")}`,
    },
    body: new URLSearchParams({ token }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { active: boolean }).active;
}

async function userinfoStatus(accessToken: string): Promise<number> {
  const response = await fetch(`${base}/connect/userinfo`, { headers: { Authorization: `Bearer ${accessToken}` } });
  await response.arrayBuffer();
  return response.status;
}

/** Whether a session cookie still opens /account (a dead one is sent to sign in). */
async function accountOpensWith(cookie: string): Promise<boolean> {
  const response = await fetch(`${base}/account`, { headers: { cookie }, redirect: "manual" });
  await response.arrayBuffer();
  return response.status === 200;
}

test("a user withdraws consent, edits her profile, changes her password and ends sessions on /account; the audit log records it (RT-05, IR-02, UI-04)", async ({ page, browser, gatehouse }) => {
  page.on("dialog", (dialog) => void dialog.accept());
  const user = await gatehouse.createUser("account", { name: "Alice Example" });
  const newEmail = `${user.username}.liddell@example.org`;

  // 1. She signs in through the demo SPA's authorization request and allows it, offline_access included.
  const spaPkce = newPkce();
  await page.goto(authorizeUrl(base, { clientId: DEMO_SPA.clientId, redirectUri: DEMO_SPA.redirectUri, scope: "openid profile offline_access api", state: "spa", pkce: spaPkce }));
  await expect(page).toHaveURL(/\/login\?interaction=/);
  await expectAccessible(page, "the sign-in page");
  await page.getByLabel("Username or email").fill(user.username);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/consent\?interaction=/);
  await expect(page.getByText("Stay connected")).toBeVisible();
  await expectAccessible(page, "the consent page");
  const callback = await appNavigationAfter(page, DEMO_SPA.redirectUri, () => page.getByRole("button", { name: "Allow" }).click());
  const spa = await redeem(DEMO_SPA, callback.searchParams.get("code"), spaPkce.verifier);
  expect(decodeJwt(spa.access_token).sub).toBe(user.id);
  expect(await userinfoStatus(spa.access_token)).toBe(200);

  // She also lets Postman in (over HTTP with her browser's cookie): a confidential client can introspect its tokens.
  const browserCookie = (await page.context().cookies()).map((cookie) => `${cookie.name}=${cookie.value}`).join("; ");
  const postmanPkce = newPkce();
  const postmanCallback = await completeAuthorization(
    base,
    browserCookie,
    authorizeUrl(base, { clientId: DEMO_POSTMAN.clientId, redirectUri: DEMO_POSTMAN.redirectUri, scope: "openid offline_access api", state: "pm", pkce: postmanPkce }),
  );
  const postman = await redeem(DEMO_POSTMAN, postmanCallback.searchParams.get("code"), postmanPkce.verifier);
  expect(await introspectActive(postman.access_token)).toBe(true);

  // 2. On /account she sees both apps with the scopes' display names.
  await page.goto(`${base}/account`);
  await expect(page.getByRole("heading", { level: 1, name: "My account" })).toBeVisible();
  const apps = page.getByRole("region", { name: "Authorized apps" });
  const spaEntry = apps.getByRole("listitem").filter({ has: page.getByRole("heading", { name: "Demo single-page app" }) });
  await expect(spaEntry).toBeVisible();
  for (const scope of ["Sign you in", "Your profile", "Stay connected", "Demo API"]) await expect(spaEntry.getByRole("listitem").filter({ hasText: scope })).toBeVisible();
  await expect(apps.getByRole("heading", { name: "Postman" })).toBeVisible();
  await expectAccessible(page, "/account");

  // 3. Revoke the SPA: its refresh token gets invalid_grant, its access token is refused; Postman is untouched.
  await spaEntry.getByRole("button", { name: "Revoke access for Demo single-page app" }).click();
  await expect(apps.getByRole("heading", { name: "Demo single-page app" })).toHaveCount(0);
  expect(await refreshStatus(DEMO_SPA, spa.refresh_token)).toEqual({ status: 400, error: "invalid_grant" });
  expect(await userinfoStatus(spa.access_token)).toBe(401);
  expect(await introspectActive(postman.access_token)).toBe(true);

  // …then Postman: inactive at introspection, refresh refused.
  await apps.getByRole("button", { name: "Revoke access for Postman" }).click();
  await expect(apps.getByText("You have not allowed any app to use your account.")).toBeVisible();
  expect(await introspectActive(postman.access_token)).toBe(false);
  expect(await refreshStatus(DEMO_POSTMAN, postman.refresh_token)).toEqual({ status: 400, error: "invalid_grant" });

  // 4. Profile: a malformed address is explained on the field; a new address needs the current
  //    password (a wrong one is refused like the password form's); then it is saved, and unverified.
  const profile = page.getByRole("region", { name: "Profile" });
  const save = profile.getByRole("button", { name: "Save profile" });
  await profile.getByLabel("Name").fill("Alice Liddell");
  await profile.getByLabel("Email address").fill("not-an-address");
  await save.click();
  await expect(profile.getByText("Enter an email address like name@example.com, or leave it empty.")).toBeVisible();
  await expect(profile.getByLabel("Email address")).toHaveAttribute("aria-invalid", "true");
  await profile.getByLabel("Email address").fill(newEmail);
  await save.click();
  await expect(profile.getByLabel("Current password")).toHaveAccessibleDescription(/Enter your current password to change your email address\./);
  await expect(profile.getByLabel("Current password")).toHaveAttribute("aria-invalid", "true");
  await profile.getByLabel("Current password").fill("not-my-password");
  await save.click();
  await expect(profile.getByLabel("Current password")).toHaveAccessibleDescription(/That is not your current password/);
  await profile.getByLabel("Current password").fill(user.password);
  await save.click();
  await expect(profile.getByText("Profile saved. Your new email address is not verified yet.")).toBeVisible();
  await expect(profile.getByLabel("Current password")).toHaveValue("");
  await page.reload();
  await expect(profile.getByLabel("Name")).toHaveValue("Alice Liddell");
  await expect(profile.getByText(/^Not verified\./)).toBeVisible();
  // What the store now holds, read back by a fresh render: the new address, not verified.
  await expect(profile.getByLabel("Email address")).toHaveValue(newEmail);

  // 5. Password: another session exists; a wrong current password is refused on its field; the change ends the other session.
  const other = await signInOverHttp(base, user.username, user.password);
  expect(await accountOpensWith(other.cookie)).toBe(true);
  const password = page.getByRole("region", { name: "Password" });
  await password.getByLabel("Current password").fill("not-my-password");
  await password.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
  await password.getByLabel("Confirm new password").fill(NEW_PASSWORD);
  await password.getByRole("button", { name: "Change password" }).click();
  await expect(password.getByText("That is not your current password, or there were too many attempts — try again later.").first()).toBeVisible();
  await expect(password.getByLabel("Current password")).toHaveAttribute("aria-invalid", "true");
  await password.getByLabel("Current password").fill(user.password);
  await password.getByRole("button", { name: "Change password" }).click();
  await expect(password.getByText("Password changed. 1 other session was signed out.")).toBeVisible();
  await expect(password.getByLabel("Current password")).toHaveValue("");
  expect(await accountOpensWith(other.cookie)).toBe(false);
  expect((await signInOverHttp(base, user.username, user.password)).cookie).toBe("");
  const fresh = await signInOverHttp(base, newEmail, NEW_PASSWORD);
  expect(fresh.response.status).toBe(303);
  expect(await accountOpensWith(fresh.cookie)).toBe(true);

  // 6. Sessions: two now; she signs out the other one from the list, and its cookie stops working.
  await page.reload();
  const sessions = page.getByRole("region", { name: "Where you are signed in" });
  await expect(sessions.getByRole("row")).toHaveCount(3); // the header and two sessions
  await expect(sessions.getByText("This session")).toHaveCount(1);
  if (process.env.GATEHOUSE_SCREENSHOTS) await page.screenshot({ path: "docs/screenshots/account.png", fullPage: true });
  await sessions.getByRole("button", { name: /^Sign out session / }).click();
  await expect(sessions.getByRole("row")).toHaveCount(2);
  expect(await accountOpensWith(fresh.cookie)).toBe(false);
  expect(await accountOpensWith(browserCookie)).toBe(true);

  // 7. Ending her own session signs this browser out.
  await sessions.getByRole("button", { name: /^Sign out this session/ }).click();
  await expect(page).toHaveURL(`${base}/logout`);
  await expect(page.getByRole("heading", { name: "You are signed out" })).toBeVisible();
  await expectAccessible(page, "/logout");
  await page.goto(`${base}/account`);
  await expect(page).toHaveURL(`${base}/login?returnTo=%2Faccount`);
  expect(await accountOpensWith(browserCookie)).toBe(false);

  // 8. What an administrator reads in the audit log.
  const events = (await auditLogRows(browser, gatehouse, { user: user.username })).filter((event) => /^(account|consent)\./.test(event.kind));
  expect(events.map((event) => event.kind)).toEqual([
    "consent.granted",
    "consent.granted",
    "consent.withdrawn",
    "consent.withdrawn",
    "account.profile_update_refused",
    "account.profile_updated",
    "account.password_change_refused",
    "account.password_changed",
    "account.session.ended",
    "account.session.ended",
  ]);
  expect(events.every((event) => event.actorId === user.id)).toBe(true);
  expect(events.filter((event) => event.kind === "consent.granted").map((event) => event.client).sort()).toEqual([DEMO_POSTMAN.clientId, DEMO_SPA.clientId].sort());
  expect(events.filter((event) => event.kind === "consent.withdrawn").map((event) => event.client)).toEqual([DEMO_SPA.clientId, DEMO_POSTMAN.clientId]);
  expect(events.find((event) => event.kind === "account.profile_updated")!.details).toEqual({ changed: ["name", "email"] });
  expect(JSON.stringify(events)).not.toContain(NEW_PASSWORD);
});
