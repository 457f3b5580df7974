// Issue #5 item 1 in Chromium: what needs a browser of the dashboard's access
// rules. Every dashboard page an admin opens, and the 403 page a non-admin
// gets, pass axe-core. The rules themselves (every page and every action,
// enumerated from the build, refused to non-admins and to signed-out callers;
// cross-site posts refused) are plain HTTP: tests/integration/dashboardAccess.test.ts.
import { expect, test, expectAccessible, addAdminSession, addSessionCookies } from "../helpers/browser";
import { DEMO_USER } from "../helpers/codeFlow";
import { signedInCookie } from "../helpers/portal";
import { staticDashboardPages } from "../helpers/dashboardRoutes";

test("dashboard access: a non-admin gets 403 on a dashboard page; the 403 page is accessible", async ({ page, gatehouse }) => {
  // Signed in over HTTP: the sign-in form is signin.spec.ts's.
  await addSessionCookies(page.context(), gatehouse.url, await signedInCookie(gatehouse.url, DEMO_USER.username, DEMO_USER.password));
  const response = await page.goto(`${gatehouse.url}/dashboard`);
  expect(response?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "You do not have access to this page" })).toBeVisible();
  await expectAccessible(page, "the 403 page");
});

test("dashboard access: an admin reaches every static dashboard page, and each passes axe", async ({ page, gatehouse }) => {
  const pages = staticDashboardPages();
  expect(pages.length).toBeGreaterThan(5);
  await addAdminSession(page.context(), gatehouse);
  for (const pagePath of pages) {
    const response = await page.goto(`${gatehouse.url}${pagePath}`);
    expect(response?.status(), pagePath).toBe(200);
    await expectAccessible(page, pagePath);
  }
});
