// Shared steps of the browser tests: signing in through the real form, and
// the accessibility check (axe-core) every page flow runs.
import AxeBuilder from "@axe-core/playwright";
import { expect, type Page } from "@playwright/test";

/** Signs in through /login (optionally coming back to `returnTo`) and waits to land there. */
export async function signInThroughForm(page: Page, base: string, username: string, password: string, returnTo = "/account") {
  await page.goto(`${base}/login?returnTo=${encodeURIComponent(returnTo)}`);
  await page.getByLabel("Username or email").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.pathname === returnTo.split("?")[0]);
}

/** Fails with the list of WCAG 2.1 A/AA violations axe-core finds on the page as it is now. */
export async function expectAccessible(page: Page, context = "") {
  // After router.refresh() Next.js re-renders the head; the <title> is briefly absent while it
  // streams. Judge the page once it has settled, not in the middle of that render.
  await page.waitForLoadState("load");
  await page.waitForFunction(() => document.title.trim().length > 0, undefined, { timeout: 5_000 }).catch(() => undefined);
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const summary = results.violations.map(
    (violation) => `${violation.id} (${violation.impact}): ${violation.help} — ${violation.nodes.map((node) => node.target.join(" ")).join(", ")}`,
  );
  expect(summary, `axe-core violations ${context ? `on ${context}` : `at ${page.url()}`}`).toEqual([]);
}

/**
 * Runs `action` and returns the app-side URL the browser is then sent to (a redirect URI where
 * no app listens). page.route does not see the targets of server redirects, so the navigation
 * request itself is what counts. The helper then waits for that navigation to end (Chromium's
 * connection-refused page, or the app's page if something answers): a failed navigation that is
 * still in flight would otherwise interrupt the next test's page.goto ("interrupted by another
 * navigation to chrome-error://chromewebdata/").
 */
export async function appNavigationAfter(page: Page, prefix: string, action: () => Promise<unknown>): Promise<URL> {
  const request = page.waitForRequest((candidate) => candidate.url().startsWith(prefix) && candidate.isNavigationRequest());
  await action();
  const sent = await request;
  await sent.response(); // null when the connection is refused; it resolves once the request has ended either way
  const settled = (url: URL) => url.protocol === "chrome-error:" || url.href.startsWith(prefix);
  // The wait may first see the navigation's own failure (net::ERR_CONNECTION_REFUSED); the error page still follows.
  await page.waitForURL(settled, { waitUntil: "load" }).catch(() => page.waitForURL(settled, { waitUntil: "load" }));
  return new URL(sent.url());
}
