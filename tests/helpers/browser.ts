// Shared steps of the browser tests: signing in through the real form, the
// accessibility check (axe-core) every page flow runs, and the `test` every
// spec imports from here, which fails a test when the browser reported a
// Content-Security-Policy violation on any page of it.
import AxeBuilder from "@axe-core/playwright";
import { test as base, expect, type Browser, type BrowserContext, type Page } from "@playwright/test";

export { expect };

interface CspViolation {
  page: string;
  report: string;
}

/** Violations reported since the last check, in this worker (tests run one at a time). */
const reported: CspViolation[] = [];
let expectedThisTest: RegExp[] = [];

const REPORT_BINDING = "__gatehouseReportCspViolation";
/** Runs in every document before its own scripts: the securitypolicyviolation event of CSP3 §5.3. */
const VIOLATION_LISTENER = `document.addEventListener("securitypolicyviolation", (event) => {
  window.${REPORT_BINDING}?.("securitypolicyviolation: " + event.effectiveDirective + " blocked " + (event.blockedURI || "inline") +
    " (" + (event.sourceFile || "") + ":" + event.lineNumber + ") sample=" + JSON.stringify(event.sample || ""));
}, true);`;

const watched = new WeakSet<BrowserContext>();

/** Collects the violations of every page of `context`: the DOM event, and Chromium's console report (which also covers form-action on redirects). */
async function watchForCspViolations(context: BrowserContext): Promise<void> {
  if (watched.has(context)) return;
  watched.add(context);
  await context.exposeBinding(REPORT_BINDING, ({ page }, report: string) => reported.push({ page: page?.url() ?? "?", report }));
  await context.addInitScript(VIOLATION_LISTENER);
  const listen = (page: Page) =>
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) reported.push({ page: page.url(), report: message.text() });
    });
  context.pages().forEach(listen);
  context.on("page", listen);
}

/** Every context any spec opens (the `page` fixture's, and browser.newContext()/newPage() in hooks) is watched. */
function watchEveryContext(browser: Browser): void {
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...args: Parameters<Browser["newContext"]>) => {
    const context = await newContext(...args);
    await watchForCspViolations(context);
    return context;
  };
}

/**
 * This test provokes a violation on purpose (a refused frame, for example): it must happen, and
 * matching reports do not fail the test.
 */
export function expectCspViolation(pattern: RegExp): void {
  expectedThisTest.push(pattern);
}

// biome-ignore lint/suspicious/noConfusingVoidType: Playwright's type for an automatic fixture that provides no value
export const test = base.extend<{ noCspViolations: void }>({
  browser: [
    async ({ browser }, use) => {
      watchEveryContext(browser);
      await use(browser);
    },
    { scope: "worker" },
  ],
  noCspViolations: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this destructuring; it has none
    async ({}, use) => {
      expectedThisTest = [];
      await use();
      // Reports from hooks that ran before this test count against it too.
      const all = reported.splice(0);
      const unexpected = all.filter((violation) => !expectedThisTest.some((pattern) => pattern.test(violation.report)));
      const missing = expectedThisTest.filter((pattern) => !all.some((violation) => pattern.test(violation.report)));
      expect(unexpected, "Content-Security-Policy violations in the browser").toEqual([]);
      expect(missing.map(String), "expected Content-Security-Policy violations that did not happen").toEqual([]);
    },
    { auto: true },
  ],
});

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
