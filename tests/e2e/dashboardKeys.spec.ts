// Signing key rotation from the dashboard (issue #4 item 6, "a dashboard
// action later"), in Chromium against the running server: the new key signs
// the very next token, the old one stays in the JWKS as retiring, and a token
// it signed before the rotation still works. DISC-06: the JWKS publishes both.
// On the worker's shared server: no other spec rotates keys, and the other
// specs' tokens verify against the JWKS whatever key signed them. The page
// passes axe-core in dashboardAccess.spec.ts (checked once per page). That the
// page and its action refuse non-admins is tests/integration/dashboardAccess.test.ts's.
import { decodeProtectedHeader } from "jose";
import type { Page } from "@playwright/test";
import { expect, test, addAdminSession } from "../helpers/browser";
import { fetchJwks, postmanBasic, postmanToken } from "../helpers/oauth";

let base: string;

test.beforeAll(({ gatehouse }) => {
  base = gatehouse.url;
});

async function introspectActive(token: string): Promise<boolean> {
  const response = await fetch(`${base}/connect/introspect`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Authorization: postmanBasic() },
    body: new URLSearchParams({ token }),
  });
  return ((await response.json()) as { active: boolean }).active;
}

/** The keys table as [alg, kid, state] rows. */
async function keyRows(page: Page): Promise<Array<{ alg: string; kid: string; state: string }>> {
  const rows = page.getByRole("table", { name: "Signing keys" }).getByRole("row");
  const texts = await rows.evaluateAll((elements) =>
    elements.slice(1).map((row) => [...row.querySelectorAll("td")].map((cell) => cell.innerText.trim())),
  );
  return texts.map(([alg, kid, state]) => ({ alg: alg!, kid: kid!, state: state!.split("\n")[0]! }));
}

const kidOf = (token: string) => decodeProtectedHeader(token).kid!;

test("DISC-06: an administrator rotates the RS256 key, then all keys; new tokens use the new key and older tokens keep working", async ({ page, gatehouse }) => {
  page.on("dialog", (dialog) => void dialog.accept());
  const before = await postmanToken(base);
  const firstKid = kidOf(before.access_token);

  await addAdminSession(page.context(), gatehouse);
  await page.goto(`${base}/dashboard/keys`);
  await expect(page.getByRole("heading", { level: 1, name: "Signing keys" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Signing keys" })).toHaveAttribute("aria-current", "page");
  const initial = await keyRows(page);
  expect(initial.map((row) => `${row.alg} ${row.state}`).sort()).toEqual(["ES256 Active", "RS256 Active"]);
  expect(initial.find((row) => row.alg === "RS256")!.kid).toBe(firstKid);

  // One algorithm: a new active RS256 key, the old one retiring and still published.
  await page.getByRole("button", { name: "Rotate the RS256 key" }).click();
  await expect(page.getByRole("table", { name: "Signing keys" }).getByText("Retiring")).toHaveCount(1);
  const afterOne = await keyRows(page);
  expect(afterOne.map((row) => `${row.alg} ${row.state}`)).toEqual(["RS256 Active", "ES256 Active", "RS256 Retiring"]);
  const secondKid = afterOne[0]!.kid;
  expect(secondKid).not.toBe(firstKid);
  expect(afterOne[2]!.kid).toBe(firstKid);
  await expect(page.getByText(/published until \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/)).toBeVisible();

  const published = (await fetchJwks(base)).keys.map((key) => key.kid);
  expect(published).toEqual(expect.arrayContaining([firstKid, secondKid]));
  const after = await postmanToken(base);
  expect(kidOf(after.access_token)).toBe(secondKid); // this instance switched at once
  expect(await introspectActive(before.access_token)).toBe(true); // signed by the retiring key
  expect(await introspectActive(after.access_token)).toBe(true);

  // All keys: two new active keys; both previous ones retire, and the first stays retiring.
  await page.getByRole("button", { name: "Rotate all keys" }).click();
  await expect(page.getByRole("table", { name: "Signing keys" }).getByText("Retiring")).toHaveCount(3);
  const afterAll = await keyRows(page);
  expect(afterAll.filter((row) => row.state === "Active").map((row) => row.alg).sort()).toEqual(["ES256", "RS256"]);
  expect(afterAll.filter((row) => row.state === "Active").map((row) => row.kid)).not.toContain(secondKid);
  expect(afterAll.filter((row) => row.state === "Retiring").map((row) => row.kid)).toEqual(expect.arrayContaining([firstKid, secondKid]));
  expect((await fetchJwks(base)).keys).toHaveLength(5);
  expect(await introspectActive(before.access_token)).toBe(true);
  expect(await introspectActive(after.access_token)).toBe(true);

  // Both rotations are in the audit log with the administrator as actor.
  await page.goto(`${base}/dashboard/audit?kind=admin.keys.rotated`);
  await expect(page.getByRole("table").getByRole("row")).toHaveCount(3);
  // The new and retired kids are in each row's details (folded away until opened).
  await expect(page.getByRole("table")).toContainText(secondKid);
  await expect(page.getByRole("table")).toContainText(firstKid);
});
