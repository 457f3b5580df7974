// The audit log page in Chromium: an admin finds alice's failed and successful
// sign-ins and the tokens postman was issued, narrows the list by user,
// client, kind, kind prefix and time, and pages through 61 token events
// (50 a page). Every page state is checked with axe-core.
import type { Browser, Page } from "@playwright/test";
import { expect, test, expectAccessible, signInThroughForm } from "../helpers/browser";
import { DEMO_USER } from "../helpers/codeFlow";
import { POSTMAN, TOKEN_PATH, basicAuthorization, postForm, postmanToken } from "../helpers/oauth";
import { startSeededServer, TEST_ADMIN_PASSWORD } from "../helpers/server";

const AUDIT = "/dashboard/audit";
const TOKENS = 61;

let env: Awaited<ReturnType<typeof startSeededServer>>;
let base: string;
/** A whole second after alice's sign-ins and before the tokens (a UTC datetime-local value). */
let boundary: string;

/** An instant as an <input type="datetime-local" step="1"> holds it (UTC; Chromium drops ":00" seconds). */
function datetimeLocal(ms: number): string {
  const iso = new Date(ms).toISOString().slice(0, 19);
  return iso.endsWith(":00") ? iso.slice(0, 16) : iso;
}

async function signInAttempt(browser: Browser, password: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.getByLabel("Username or email").fill(DEMO_USER.username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  if (password === DEMO_USER.password) await page.waitForURL(`${base}/`);
  else await expect(page.getByText("Incorrect username or password")).toBeVisible();
  await context.close();
}

test.beforeAll(async ({ browser }) => {
  test.setTimeout(120_000);
  env = await startSeededServer();
  base = env.server.url;
  await signInAttempt(browser, "not-alices-password");
  await signInAttempt(browser, DEMO_USER.password);
  // Every event so far is older than the next whole second; every event from here on is not.
  const next = Math.ceil((Date.now() + 1) / 1000) * 1000;
  await new Promise((resolve) => setTimeout(resolve, next - Date.now() + 50));
  boundary = datetimeLocal(next);
  for (let sent = 0; sent < TOKENS; sent += 10) {
    await Promise.all(Array.from({ length: Math.min(10, TOKENS - sent) }, () => postmanToken(base)));
  }
  const refused = await postForm(base + TOKEN_PATH, {
    headers: { Authorization: basicAuthorization(POSTMAN.clientId, "wrong-secret") },
    body: { grant_type: "client_credentials" },
  });
  expect(refused.status).toBe(401);
});

test.afterAll(async () => {
  await env?.stop();
});

interface Row {
  time: string;
  kind: string;
  actor: string;
  user: string;
  client: string;
  ip: string;
  reason: string;
  details: string;
}

/** The table's rows as text, top to bottom. */
async function tableRows(page: Page): Promise<Row[]> {
  const table = page.getByRole("table", { name: "Audit events, newest first" });
  await expect(table).toBeVisible();
  const cells = await table.locator("tbody tr").evaluateAll((rows) =>
    rows.map((row) =>
      // A long details cell holds a cut preview and, inside <details>, the whole JSON: take the whole.
      Array.from((row as HTMLTableRowElement).cells, (cell) => (cell.querySelector("details > code") ?? cell).textContent?.trim() ?? ""),
    ),
  );
  return cells.map(([time, kind, actor, user, client, ip, reason, details]) => ({ time, kind, actor, user, client, ip, reason, details }) as Row);
}

/** The page's message about filters it cannot use (Next.js has a route announcer with role=alert too). */
const filterAlert = (page: Page) => page.getByRole("alert").filter({ hasText: "These filters cannot be used" });

/** Fills the filter form (empty strings clear a field) and applies it. */
async function applyFilters(page: Page, filters: { user?: string; client?: string; kind?: string; prefix?: string; from?: string; to?: string }) {
  const form = page.getByRole("search", { name: "Filter the audit log" });
  await form.getByLabel("User").fill(filters.user ?? "");
  await form.getByLabel("Client").fill(filters.client ?? "");
  await form.getByLabel("Kind", { exact: true }).selectOption(filters.kind ?? "");
  await form.getByLabel("Kind prefix").fill(filters.prefix ?? "");
  await form.getByLabel("From (UTC)").fill(filters.from ?? "");
  await form.getByLabel("To (UTC)").fill(filters.to ?? "");
  // A GET form: the browser navigates to exactly this query (every field, blank ones too, in form order).
  const query = new URLSearchParams({
    user: filters.user ?? "",
    client: filters.client ?? "",
    kind: filters.kind ?? "",
    prefix: filters.prefix ?? "",
    from: filters.from ?? "",
    to: filters.to ?? "",
  });
  await form.getByRole("button", { name: "Apply filters" }).click();
  await page.waitForURL(`${base}${AUDIT}?${query}`);
}

test.describe("the audit log page", () => {
  test.beforeEach(async ({ page }) => {
    await signInThroughForm(page, base, "admin", TEST_ADMIN_PASSWORD, AUDIT);
  });

  test("shows the newest events first, in UTC, and passes axe", async ({ page }) => {
    await expect(page.getByRole("heading", { level: 1, name: "Audit log" })).toBeVisible();
    await expect(page.getByText("All times are UTC")).toBeVisible();
    const rows = await tableRows(page);
    expect(rows).toHaveLength(50);
    // The admin's own sign-in is the newest event.
    expect(rows[0]).toMatchObject({ kind: "signin.succeeded", actor: "admin", user: "admin", ip: "127.0.0.1" });
    expect(rows[1]).toMatchObject({ kind: "token.refused", client: "postman", reason: "invalid_client" });
    expect(rows[2]).toMatchObject({ kind: "token.issued", client: "postman", user: "—", ip: "127.0.0.1" });
    expect(JSON.parse(rows[2]!.details)).toEqual({ grant_type: "client_credentials", scopes: ["api"], tokens: ["access_token"], jti: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    for (const row of rows) expect(row.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const times = rows.map((row) => row.time);
    expect([...times].sort().reverse()).toEqual(times);
    await expectAccessible(page, "the audit log");
  });

  test("filters by user: alice's failed and successful sign-ins, with the reason", async ({ page }) => {
    await applyFilters(page, { user: "alice" });
    const rows = await tableRows(page);
    expect(rows.map((row) => [row.kind, row.user, row.reason])).toEqual([
      ["signin.succeeded", "alice", "—"],
      ["signin.failed", "alice", "bad_password"],
    ]);
    await expectAccessible(page, "the audit log filtered by user");
  });

  test("filters by kind, by kind prefix and by client", async ({ page }) => {
    await applyFilters(page, { kind: "signin.failed" });
    expect((await tableRows(page)).map((row) => [row.kind, row.user])).toEqual([["signin.failed", "alice"]]);

    await applyFilters(page, { prefix: "signin.", user: "alice" });
    expect((await tableRows(page)).map((row) => row.kind)).toEqual(["signin.succeeded", "signin.failed"]);

    await applyFilters(page, { prefix: "token.", client: "postman" });
    const tokenEvents = await tableRows(page);
    expect(tokenEvents).toHaveLength(50);
    expect(new Set(tokenEvents.map((row) => row.kind))).toEqual(new Set(["token.refused", "token.issued"]));

    await applyFilters(page, { client: "postman", kind: "token.refused" });
    expect((await tableRows(page)).map((row) => [row.kind, row.client, row.reason])).toEqual([["token.refused", "postman", "invalid_client"]]);
    await expectAccessible(page, "the audit log filtered by client and kind");
  });

  test("filters by time: From and To are UTC, From inclusive and To exclusive", async ({ page }) => {
    await applyFilters(page, { user: "alice", to: boundary });
    expect(await tableRows(page)).toHaveLength(2);
    await applyFilters(page, { user: "alice", from: boundary });
    expect(await tableRows(page)).toEqual([]);
    await expect(page.getByText("No events match these filters.")).toBeVisible();
    await applyFilters(page, { kind: "token.issued", from: boundary });
    await expect(page.getByText(/^Events 1–50, newest first/)).toBeVisible();
    await expectAccessible(page, "the audit log filtered by time");
  });

  test("pages through 61 token events, 50 a page; new events do not shift the pages", async ({ page }) => {
    await applyFilters(page, { client: "postman", kind: "token.issued" });
    const first = await tableRows(page);
    expect(first).toHaveLength(50);
    await expect(page.getByRole("link", { name: "← Previous" })).toHaveCount(0);

    // A token issued now is newer than the pinned first page: page 2 still holds the same 11.
    await postmanToken(base);
    await page.getByRole("link", { name: "Next →" }).click();
    await expect(page).toHaveURL(/page=2/);
    await expect(page.getByText(/^Events 51–61,/)).toBeVisible();
    const second = await tableRows(page);
    expect(second).toHaveLength(TOKENS - 50);
    expect(second.every((row) => row.kind === "token.issued" && row.client === "postman")).toBe(true);
    expect(second[0]!.time <= first[49]!.time).toBe(true);
    await expect(page.getByRole("link", { name: "Next →" })).toHaveCount(0);
    await expectAccessible(page, "page 2 of the audit log");

    await page.getByRole("link", { name: "← Previous" }).click();
    await expect(page.getByText(/^Events 1–50,/)).toBeVisible();
    expect((await tableRows(page)).map((row) => row.details)).toEqual(first.map((row) => row.details));
    // Leaving the pinned view shows the token issued meanwhile.
    await page.getByRole("link", { name: "Show the newest events" }).click();
    await expect(page.getByRole("link", { name: "Show the newest events" })).toHaveCount(0);
    const newest = await tableRows(page);
    expect(newest[0]!.details).not.toBe(first[0]!.details);
    expect(newest[1]!.details).toBe(first[0]!.details);
  });

  test("filters that cannot be used get a clear message, not an error page", async ({ page }) => {
    await applyFilters(page, { from: "2026-11-26T12:00", to: "2026-11-26T11:00" });
    await expect(filterAlert(page)).toContainText("To: must be later than From.");
    await expect(page.getByRole("table")).toHaveCount(0);
    await expect(page.getByLabel("To (UTC)")).toHaveAttribute("aria-invalid", "true");
    await expectAccessible(page, "the audit log with a filter error");

    await applyFilters(page, { user: "nobody-by-that-name" });
    await expect(filterAlert(page)).toContainText("No user is called “nobody-by-that-name”");

    for (const query of ["from=2026-02-31T10:00", "kind=Not%20A%20Kind", "asOf=yesterday", "page=-4&prefix=%25"]) {
      const response = await page.goto(`${base}${AUDIT}?${query}`);
      expect(response!.status(), query).toBe(200);
      await expect(filterAlert(page), query).toBeVisible();
    }
  });
});
