// Shared steps of the browser tests: signing in through the real form, the
// accessibility check (axe-core) every page flow runs, reading the audit log
// as an administrator does, and the `test` every spec imports from here. That
// `test` fails a test when the browser reported a Content-Security-Policy
// violation on any page of it, and gives each Playwright worker one seeded
// server (the `gatehouse` fixture) that the specs it runs share: starting a
// server costs seconds, a spec mostly far less. Tests on it change only records
// they made themselves (tests/helpers/adminRecords.ts).
import AxeBuilder from "@axe-core/playwright";
import { test as base, expect, type Browser, type BrowserContext, type Page } from "@playwright/test";
import {
  createClient,
  createScope,
  createUser,
  type ClientSettings,
  type CreatedClient,
  type CreatedScope,
  type CreatedUser,
} from "./adminRecords";
import { signInOverHttp } from "./portal";
import { startSeededServer, TEST_ADMIN_PASSWORD } from "./server";

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

/** Waits until the browser has reported a violation matching `pattern` (one the test expects: see expectCspViolation). */
export async function cspViolationReported(pattern: RegExp): Promise<void> {
  await expect.poll(() => reported.some((violation) => pattern.test(violation.report)), { message: `a CSP violation matching ${pattern}` }).toBe(true);
}

/** The seeded server of this Playwright worker, shared by the specs it runs one after another. */
export interface SharedGatehouse {
  /** Its base URL, which is also its issuer (http://localhost:PORT). */
  url: string;
  /** A session cookie of the seeded administrator, signed in over HTTP once per worker. */
  adminCookie(): Promise<string>;
  /** A new user of this test's own (tests/helpers/adminRecords.ts). */
  createUser(prefix: string, options?: Parameters<typeof createUser>[3]): Promise<CreatedUser>;
  /** A new client of this test's own; its client_id starts with `prefix`. */
  createClient(prefix: string, settings: ClientSettings): Promise<CreatedClient>;
  /** A new scope of this test's own; its name starts with `prefix`. */
  createScope(prefix: string, fields: Parameters<typeof createScope>[3]): Promise<CreatedScope>;
}

async function startSharedGatehouse(): Promise<{ gatehouse: SharedGatehouse; stop(): Promise<void> }> {
  // One trusted proxy hop, so signinThrottleAdmin.spec.ts can fail sign-ins "from" many addresses
  // (X-Forwarded-For) here instead of starting a server of its own. Chromium and the other specs send
  // no X-Forwarded-For, so for them the client is the socket's peer, as on a server without it.
  const env = await startSeededServer({ GATEHOUSE_TRUST_PROXY: "1" });
  const url = env.server.url;
  let adminSession: Promise<string> | undefined;
  const adminCookie = () =>
    (adminSession ??= signInOverHttp(url, "admin", TEST_ADMIN_PASSWORD).then(({ cookie, response }) => {
      if (!cookie) throw new Error(`the administrator could not sign in (${response.status})`);
      return cookie;
    }));
  return {
    gatehouse: {
      url,
      adminCookie,
      createUser: async (prefix, options) => createUser(url, await adminCookie(), prefix, options),
      createClient: async (prefix, settings) => createClient(url, await adminCookie(), prefix, settings),
      createScope: async (prefix, fields) => createScope(url, await adminCookie(), prefix, fields),
    },
    stop: () => env.stop(),
  };
}

// biome-ignore lint/suspicious/noConfusingVoidType: Playwright's type for an automatic fixture that provides no value
export const test = base.extend<{ noCspViolations: void }, { gatehouse: SharedGatehouse }>({
  // Started the first time a spec of this worker asks for it; specs that need a server of their own
  // (other settings, no demo data) start it themselves and never ask.
  gatehouse: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this destructuring
    async ({}, use) => {
      const shared = await startSharedGatehouse();
      await use(shared.gatehouse);
      await shared.stop();
    },
    { scope: "worker", timeout: 120_000 },
  ],
  browser: [
    async ({ browser }, use) => {
      watchEveryContext(browser);
      await use(browser);
    },
    { scope: "worker" },
  ],
  noCspViolations: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this destructuring
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
  // Legacy mode: axe.run in the page itself (and its same-origin frames). The default opens a blank
  // page and injects axe-core a second time there to merge the frames' results, which costs about
  // as much again (2026-12-07: 0.6 s against 1.3 s a check on /login); only cross-origin frames need
  // it, and no page of Gatehouse has any frame.
  // resultTypes: every rule still runs on every node, but only violations are collected in full (passes and
  // the rest keep one node each), which spares axe gathering and Playwright copying what this check never reads.
  const results = await new AxeBuilder({ page })
    .options({ resultTypes: ["violations"] }) // first: options() replaces what withTags() sets
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
    .setLegacyMode()
    .analyze();
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
/** How long a redirect to the app may take to be sent: well under the test's own timeout, so a failure names the page. */
const NAVIGATION_WAIT_MS = 30_000;

export async function appNavigationAfter(page: Page, prefix: string, action: () => Promise<unknown>): Promise<URL> {
  const request = page.waitForRequest((candidate) => candidate.url().startsWith(prefix) && candidate.isNavigationRequest(), {
    timeout: NAVIGATION_WAIT_MS,
  });
  await action();
  const sent = await request.catch(async (error) => {
    // Say where the browser went instead (an error page, a sign-in or consent page), not just that time ran out.
    const heading = await page.locator("h1").first().textContent({ timeout: 1_000 }).catch(() => null);
    throw new Error(`no navigation to ${prefix} within ${NAVIGATION_WAIT_MS / 1000} s; the page is ${page.url()} (heading: ${heading ?? "none"})`, { cause: error });
  });
  await sent.response(); // null when the connection is refused; it resolves once the request has ended either way
  const settled = (url: URL) => url.protocol === "chrome-error:" || url.href.startsWith(prefix);
  // The wait may first see the navigation's own failure (net::ERR_CONNECTION_REFUSED); the error page still follows.
  await page.waitForURL(settled, { waitUntil: "load" }).catch(() => page.waitForURL(settled, { waitUntil: "load" }));
  return new URL(sent.url());
}

/** One row of the dashboard's audit log, as an administrator reads it. */
export interface AuditRow {
  time: string;
  kind: string;
  /** The actor's username, or its raw value when no user has it ("system", a client, a deleted user's id). */
  actor: string;
  /** The actor's user id (the cell's title), or null when the cell shows a raw value. */
  actorId: string | null;
  user: string;
  userId: string | null;
  client: string;
  ip: string;
  reason: string;
  /** The whole details JSON, or null when the event has none. */
  details: Record<string, unknown> | null;
}

/** The Cookie header's pairs as cookies of `url`'s origin. */
function cookiesOf(header: string, url: string) {
  return header
    .split("; ")
    .filter(Boolean)
    .map((pair) => ({ name: pair.slice(0, pair.indexOf("=")), value: pair.slice(pair.indexOf("=") + 1), url }));
}

/** Puts the session of `cookieHeader` (a Cookie header from tests/helpers/portal.ts, e.g. signInOverHttp's) into the browser context. */
export async function addSessionCookies(context: BrowserContext, url: string, cookieHeader: string): Promise<void> {
  await context.addCookies(cookiesOf(cookieHeader, url));
}

/**
 * Gives the browser context the seeded administrator's session of this worker, without the sign-in
 * form (signin.spec.ts tests that): a dashboard spec starts on its own page.
 */
export async function addAdminSession(context: BrowserContext, gatehouse: SharedGatehouse): Promise<void> {
  await addSessionCookies(context, gatehouse.url, await gatehouse.adminCookie());
}

/** A page in a new browser context that carries the seeded administrator's session. */
export async function adminPage(browser: Browser, gatehouse: SharedGatehouse): Promise<Page> {
  const context = await browser.newContext();
  await addAdminSession(context, gatehouse);
  return context.newPage();
}

/**
 * The events /dashboard/audit lists for `filters` (user, client, kind, prefix, from, to), oldest first,
 * every page of them: what the tests on a shared server read instead of querying the database, which
 * the running server holds (PGlite has one opener).
 */
export async function auditLogRows(browser: Browser, gatehouse: SharedGatehouse, filters: Record<string, string>): Promise<AuditRow[]> {
  const page = await adminPage(browser, gatehouse);
  try {
    await page.goto(`${gatehouse.url}/dashboard/audit?${new URLSearchParams(filters)}`);
    const rows: AuditRow[] = [];
    for (;;) {
      const table = page.getByRole("table", { name: "Audit events, newest first" });
      await expect(table).toBeVisible();
      const cells = await table.locator("tbody tr").evaluateAll((trs) =>
        trs.map((tr) =>
          Array.from((tr as HTMLTableRowElement).cells, (cell) => ({
            // A long details cell holds a cut preview and, inside <details>, the whole JSON: take the whole.
            text: (cell.querySelector("details > code") ?? cell).textContent?.trim() ?? "",
            title: cell.querySelector("span[title]")?.getAttribute("title") ?? null,
          })),
        ),
      );
      for (const [time, kind, actor, user, client, ip, reason, details] of cells) {
        if (!details) continue; // the "No events match these filters." row
        rows.push({
          time: time!.text,
          kind: kind!.text,
          actor: actor!.text,
          actorId: actor!.title,
          user: user!.text,
          userId: user!.title,
          client: client!.text,
          ip: ip!.text,
          reason: reason!.text,
          details: details.text === "—" ? null : (JSON.parse(details.text) as Record<string, unknown>),
        });
      }
      const next = page.getByRole("link", { name: "Next →" });
      if ((await next.count()) === 0) break;
      const shown = page.url();
      await next.click();
      await page.waitForURL((url) => url.href !== shown);
    }
    return rows.reverse();
  } finally {
    await page.context().close();
  }
}
