// The dashboard's view of an account's sign-in throttle (docs/decisions/0009-sign-in-throttling.md):
// an administrator sees that a user is throttled for new addresses, how many failures from how many
// addresses, and clears it with an audited action. On the worker's shared server, which trusts one
// proxy hop (tests/helpers/browser.ts) so the failures can come "from" many addresses; the user is
// this spec's own, so no other spec's sign-in meets the throttle.
import type { Page } from "@playwright/test";
import { adminPage, expect, test } from "../helpers/browser";
import type { CreatedUser } from "../helpers/adminRecords";
import { findForm } from "../helpers/portal";

let base: string;
let admin: Page;
let user: CreatedUser;

/** A failed sign-in for the user without a browser, from `address` (single-entry X-Forwarded-For, trusted here). */
async function failFrom(address: string) {
  const page = await fetch(`${base}/login`);
  const body = new FormData();
  for (const [name, value] of findForm(await page.text(), "username").fields) if (name !== "username" && name !== "password") body.append(name, value);
  body.append("username", user.username);
  body.append("password", `not-${user.password}`);
  await fetch(`${base}/login`, { method: "POST", body, redirect: "manual", headers: { Origin: base, "X-Forwarded-For": address } });
}

test.beforeAll(async ({ browser, gatehouse }) => {
  base = gatehouse.url;
  user = await gatehouse.createUser("throttle-admin");
  admin = await adminPage(browser, gatehouse);
  admin.on("dialog", (dialog) => void dialog.accept());
});
test.afterAll(async () => {
  await admin?.context().close();
});

test("an admin sees an account's sign-in throttle and clears it, audited", async () => {
  for (let i = 0; i < 12; i++) await failFrom(`198.51.100.${i}`);

  await admin.goto(`${base}/dashboard/users?q=${encodeURIComponent(user.username)}`);
  await admin.getByRole("link", { name: user.username, exact: true }).click();
  const section = admin.getByTestId("sign-in-throttle");
  await expect(section).toContainText("Throttled");
  await expect(section).toContainText(/Counted now: 1\d failed attempts from 1\d addresses/);

  await section.getByRole("button", { name: "Clear sign-in throttle" }).click();
  await expect(section).toContainText("Not throttled");
  await expect(section).toContainText("No failed sign-ins are counted for this account.");
  await expect(section.getByRole("button", { name: "Clear sign-in throttle" })).toHaveCount(0);

  await admin.goto(`${base}/dashboard/audit?kind=admin.user.sign_in_throttle_cleared`);
  await expect(admin.getByRole("row").filter({ hasText: "admin.user.sign_in_throttle_cleared" }).first()).toContainText(user.username);
});
