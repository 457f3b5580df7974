// The audit log page in Chromium: an admin finds a user's failed and
// successful sign-ins and the tokens a service was issued, narrows the list by
// user, client, kind, kind prefix and time, and pages through 61 token events
// (50 a page). axe-core checks the page once, in dashboardAccess.spec.ts. The user and the service are
// this spec's own: other specs leave their events on the worker's shared
// server, but they ran before this one started, never in between.
import type { Page } from "@playwright/test";
import { expect, test, addAdminSession, addSessionCookies, type SharedGatehouse } from "../helpers/browser";
import type { CreatedClient, CreatedUser } from "../helpers/adminRecords";
import { TOKEN_PATH, basicAuthorization, postForm } from "../helpers/oauth";
import { signInOverHttp } from "../helpers/portal";
import { TEST_ADMIN_PASSWORD } from "../helpers/server";

const AUDIT = "/dashboard/audit";
const TOKENS = 61;

let base: string;
let user: CreatedUser;
let service: CreatedClient;
/** A whole second after the user's sign-ins and before the tokens (a UTC datetime-local value). */
let boundary: string;

/** An instant as an <input type="datetime-local" step="1"> holds it (UTC; Chromium drops ":00" seconds). */
function datetimeLocal(ms: number): string {
  const iso = new Date(ms).toISOString().slice(0, 19);
  return iso.endsWith(":00") ? iso.slice(0, 16) : iso;
}

/** A sign-in of the spec's user over HTTP (the form in a browser is signin.spec.ts's): it succeeds or not as the password says. */
async function signInAttempt(password: string) {
  const { response } = await signInOverHttp(base, user.username, password);
  expect(response.status).toBe(password === user.password ? 303 : 200);
}

/** client_credentials for the spec's service (client_secret_basic); asserts a 200. */
async function serviceToken() {
  const response = await postForm(base + TOKEN_PATH, {
    headers: { Authorization: basicAuthorization(service.clientId, service.secret!) },
    body: { grant_type: "client_credentials", scope: "api" },
  });
  expect(response.status).toBe(200);
}

test.beforeAll(async ({ gatehouse }) => {
  test.setTimeout(120_000);
  base = gatehouse.url;
  user = await gatehouse.createUser("audited");
  service = await gatehouse.createClient("audit-service", { displayName: "Audit Service", clientType: "confidential", grantTypes: ["client_credentials"], scopes: ["api"] });
  await signInAttempt("not-the-password");
  await signInAttempt(user.password);
  // Every event so far is older than the next whole second; every event from here on is not.
  const next = Math.ceil((Date.now() + 1) / 1000) * 1000;
  await new Promise((resolve) => setTimeout(resolve, next - Date.now() + 50));
  boundary = datetimeLocal(next);
  for (let sent = 0; sent < TOKENS; sent += 10) {
    await Promise.all(Array.from({ length: Math.min(10, TOKENS - sent) }, () => serviceToken()));
  }
  const refused = await postForm(base + TOKEN_PATH, {
    headers: { Authorization: basicAuthorization(service.clientId, "wrong-secret") },
    body: { grant_type: "client_credentials" },
  });
  expect(refused.status).toBe(401);
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

/** The audit log page with the worker's administrator session. */
async function openAuditLog(page: Page, gatehouse: SharedGatehouse) {
  await addAdminSession(page.context(), gatehouse);
  await page.goto(`${base}${AUDIT}`);
}

test.describe("the audit log page", () => {
  test("shows the newest events first, in UTC", async ({ page }) => {
    // A sign-in of its own (not the worker's administrator session): the administrator's sign-in is then the newest event.
    const { cookie } = await signInOverHttp(base, "admin", TEST_ADMIN_PASSWORD);
    await addSessionCookies(page.context(), base, cookie);
    await page.goto(`${base}${AUDIT}`);
    await expect(page.getByRole("heading", { level: 1, name: "Audit log" })).toBeVisible();
    await expect(page.getByText("All times are UTC")).toBeVisible();
    const rows = await tableRows(page);
    expect(rows).toHaveLength(50);
    // The admin's own sign-in is the newest event.
    expect(rows[0]).toMatchObject({ kind: "signin.succeeded", actor: "admin", user: "admin", ip: "127.0.0.1" });
    expect(rows[1]).toMatchObject({ kind: "token.refused", client: service.clientId, reason: "invalid_client" });
    expect(rows[2]).toMatchObject({ kind: "token.issued", client: service.clientId, user: "—", ip: "127.0.0.1" });
    expect(JSON.parse(rows[2]!.details)).toEqual({ grant_type: "client_credentials", scopes: ["api"], tokens: ["access_token"], jti: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    for (const row of rows) expect(row.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const times = rows.map((row) => row.time);
    expect([...times].sort().reverse()).toEqual(times);
  });

  test("filters by user: the user's failed and successful sign-ins, with the reason", async ({ page, gatehouse }) => {
    await openAuditLog(page, gatehouse);
    await applyFilters(page, { user: user.username });
    const rows = await tableRows(page);
    expect(rows.map((row) => [row.kind, row.user, row.reason])).toEqual([
      ["signin.succeeded", user.username, "—"],
      ["signin.failed", user.username, "bad_password"],
      ["admin.user.created", user.username, "—"],
    ]);
  });

  test("filters by kind, by kind prefix and by client", async ({ page, gatehouse }) => {
    await openAuditLog(page, gatehouse);
    // Other specs' failed sign-ins are older than this spec's: the user's is the newest.
    await applyFilters(page, { kind: "signin.failed" });
    const failed = await tableRows(page);
    expect([failed[0]!.kind, failed[0]!.user]).toEqual(["signin.failed", user.username]);
    expect(failed.every((row) => row.kind === "signin.failed")).toBe(true);

    await applyFilters(page, { prefix: "signin.", user: user.username });
    expect((await tableRows(page)).map((row) => row.kind)).toEqual(["signin.succeeded", "signin.failed"]);

    await applyFilters(page, { prefix: "token.", client: service.clientId });
    const tokenEvents = await tableRows(page);
    expect(tokenEvents).toHaveLength(50);
    expect(new Set(tokenEvents.map((row) => row.kind))).toEqual(new Set(["token.refused", "token.issued"]));

    await applyFilters(page, { client: service.clientId, kind: "token.refused" });
    expect((await tableRows(page)).map((row) => [row.kind, row.client, row.reason])).toEqual([["token.refused", service.clientId, "invalid_client"]]);
  });

  test("filters by time: From and To are UTC, From inclusive and To exclusive", async ({ page, gatehouse }) => {
    await openAuditLog(page, gatehouse);
    await applyFilters(page, { user: user.username, to: boundary });
    expect(await tableRows(page)).toHaveLength(3); // created, failed and succeeded sign-in
    await applyFilters(page, { user: user.username, from: boundary });
    expect(await tableRows(page)).toEqual([]);
    await expect(page.getByText("No events match these filters.")).toBeVisible();
    await applyFilters(page, { kind: "token.issued", from: boundary });
    await expect(page.getByText(/^Events 1–50, newest first/)).toBeVisible();
  });

  test("pages through 61 token events, 50 a page; new events do not shift the pages", async ({ page, gatehouse }) => {
    await openAuditLog(page, gatehouse);
    await applyFilters(page, { client: service.clientId, kind: "token.issued" });
    const first = await tableRows(page);
    expect(first).toHaveLength(50);
    await expect(page.getByRole("link", { name: "← Previous" })).toHaveCount(0);

    // A token issued now is newer than the pinned first page: page 2 still holds the same 11.
    await serviceToken();
    await page.getByRole("link", { name: "Next →" }).click();
    await expect(page).toHaveURL(/page=2/);
    await expect(page.getByText(/^Events 51–61,/)).toBeVisible();
    const second = await tableRows(page);
    expect(second).toHaveLength(TOKENS - 50);
    expect(second.every((row) => row.kind === "token.issued" && row.client === service.clientId)).toBe(true);
    expect(second[0]!.time <= first[49]!.time).toBe(true);
    await expect(page.getByRole("link", { name: "Next →" })).toHaveCount(0);

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

  test("filters that cannot be used get a clear message, not an error page", async ({ page, gatehouse }) => {
    await openAuditLog(page, gatehouse);
    await applyFilters(page, { from: "2026-11-26T12:00", to: "2026-11-26T11:00" });
    await expect(filterAlert(page)).toContainText("To: must be later than From.");
    await expect(page.getByRole("table")).toHaveCount(0);
    await expect(page.getByLabel("To (UTC)")).toHaveAttribute("aria-invalid", "true");

    await applyFilters(page, { user: "nobody-by-that-name" });
    await expect(filterAlert(page)).toContainText("No user is called “nobody-by-that-name”");

    // Hand-made queries the form cannot produce: what the server answers is all there is to see, so plain HTTP.
    const cookie = await gatehouse.adminCookie();
    for (const query of ["from=2026-02-31T10:00", "kind=Not%20A%20Kind", "asOf=yesterday", "page=-4&prefix=%25"]) {
      const response = await fetch(`${base}${AUDIT}?${query}`, { headers: { cookie } });
      expect(response.status, query).toBe(200);
      expect(await response.text(), query).toMatch(/role="alert"[^>]*>\s*<p[^>]*>These filters cannot be used</); // the alert's title (components/ui/Alert.tsx)
    }
  });
});
