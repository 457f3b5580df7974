// The dashboard's view of an account's sign-in throttle (docs/decisions/0009-sign-in-throttling.md):
// an administrator sees that alice is throttled for new addresses, how many failures from how many
// addresses, and clears it with an audited action.
import type { Page } from "@playwright/test";
import { signInThroughForm, expect, test } from "../helpers/browser";
import { findForm } from "../helpers/portal";
import { startSeededServer, TEST_ADMIN_PASSWORD } from "../helpers/server";

let env: Awaited<ReturnType<typeof startSeededServer>>;
let base: string;
let admin: Page;

/** A failed sign-in for alice without a browser, from `address` (single-entry X-Forwarded-For, trusted here). */
async function failFrom(address: string) {
  const page = await fetch(`${base}/login`);
  const body = new FormData();
  for (const [name, value] of findForm(await page.text(), "username").fields) if (name !== "username" && name !== "password") body.append(name, value);
  body.append("username", "alice");
  body.append("password", "not-alice-password");
  await fetch(`${base}/login`, { method: "POST", body, redirect: "manual", headers: { Origin: base, "X-Forwarded-For": address } });
}

test.beforeAll(async ({ browser }) => {
  env = await startSeededServer({ GATEHOUSE_TRUST_PROXY: "1" });
  base = env.server.url;
  admin = await (await browser.newContext({ extraHTTPHeaders: { "X-Forwarded-For": "10.1.2.3" } })).newPage();
  admin.on("dialog", (dialog) => void dialog.accept());
  await signInThroughForm(admin, base, "admin", TEST_ADMIN_PASSWORD, "/dashboard/users");
});
test.afterAll(async () => {
  await admin?.context().close();
  await env?.stop();
});

test("an admin sees an account's sign-in throttle and clears it, audited", async () => {
  for (let i = 0; i < 12; i++) await failFrom(`198.51.100.${i}`);

  await admin.goto(`${base}/dashboard/users`);
  await admin.getByRole("link", { name: "alice", exact: true }).click();
  const section = admin.getByTestId("sign-in-throttle");
  await expect(section).toContainText("Throttled");
  await expect(section).toContainText(/Counted now: 1\d failed attempts from 1\d addresses/);

  await section.getByRole("button", { name: "Clear sign-in throttle" }).click();
  await expect(section).toContainText("Not throttled");
  await expect(section).toContainText("No failed sign-ins are counted for this account.");
  await expect(section.getByRole("button", { name: "Clear sign-in throttle" })).toHaveCount(0);

  await admin.goto(`${base}/dashboard/audit`);
  await expect(admin.getByText("admin.user.sign_in_throttle_cleared").first()).toBeVisible();
});
