// The one-time setup link (/setup?token=…) of a production install in
// Chromium, with and without JavaScript. axe-core checks the page with
// JavaScript once as a form (with its errors shown) and once as the used-up
// link's refusal; it cannot run in a page with JavaScript disabled, which
// renders the same markup.
import type { Page } from "@playwright/test";
import { expectAccessible, expect, test } from "../helpers/browser";
import { createMigratedStore, startServer, type RunningServer, type TestStore } from "../helpers/server";

const PASSPHRASE = "a long browser passphrase";

// The two installs below are independent: with more than one worker they start side by side.
test.describe.configure({ mode: "parallel" });

/** A fresh production-like install (non-loopback issuer, no demo data): its server and the printed setup link. */
async function freshInstall(): Promise<{ store: TestStore; server: RunningServer; link: string; stop(): Promise<void> }> {
  const store = await createMigratedStore();
  const server = await startServer(store, { GATEHOUSE_ISSUER: "https://id.example.com", GATEHOUSE_ADMIN_PASSWORD: "" });
  const token = /\/setup\?token=([A-Za-z0-9_-]{43})/.exec(server.output())?.[1];
  if (!token) throw new Error(`no setup link printed:\n${server.output()}`);
  return {
    store,
    server,
    link: `${server.url}/setup?token=${token}`,
    async stop() {
      await server.stop();
      await store.cleanup();
    },
  };
}

async function fill(page: Page, values: { username: string; email?: string; password: string; confirm: string }) {
  await page.getByLabel("Username").fill(values.username);
  if (values.email !== undefined) await page.getByLabel("Email (optional)").fill(values.email);
  await page.getByLabel("Password", { exact: true }).fill(values.password);
  await page.getByLabel("Password again").fill(values.confirm);
}

test.describe("with JavaScript", () => {
  let install: Awaited<ReturnType<typeof freshInstall>>;
  test.beforeAll(async () => {
    install = await freshInstall();
  });
  test.afterAll(async () => {
    await install?.stop();
  });

  test("checks the fields inline, creates the administrator once, and the used link is refused", async ({ page }) => {
    await page.goto(install.link);
    await expect(page.getByRole("heading", { name: "Create the first administrator" })).toBeVisible();

    await fill(page, { username: "ops", password: "short", confirm: "different" });
    await page.getByRole("button", { name: "Create administrator" }).click();
    await expect(page.getByText("Use at least 12 characters.")).toBeVisible();
    await expect(page.getByLabel("Password", { exact: true })).toHaveAttribute("aria-invalid", "true");
    await expectAccessible(page, "the setup form with errors");

    await fill(page, { username: "ops", email: "ops@example.com", password: PASSPHRASE, confirm: PASSPHRASE });
    await page.getByRole("button", { name: "Create administrator" }).click();
    await expect(page.getByRole("status")).toContainText("Administrator ops created");

    await page.goto(install.link);
    await expect(page.getByText("This setup link cannot be used")).toBeVisible();
    await expect(page.getByRole("button", { name: "Create administrator" })).toHaveCount(0);
    await expectAccessible(page, "the used setup link");
  });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });
  let install: Awaited<ReturnType<typeof freshInstall>>;
  test.beforeAll(async () => {
    install = await freshInstall();
  });
  test.afterAll(async () => {
    await install?.stop();
  });

  test("the plain form post shows the server's field errors, then creates the administrator", async ({ page }) => {
    await page.goto(install.link);
    await fill(page, { username: "ops", password: PASSPHRASE, confirm: "not the same passphrase" });
    await page.getByRole("button", { name: "Create administrator" }).click();
    await expect(page.getByText("The two passwords do not match.")).toBeVisible();
    await expect(page.getByLabel("Username")).toHaveValue("ops");

    await fill(page, { username: "ops", password: PASSPHRASE, confirm: PASSPHRASE });
    await page.getByRole("button", { name: "Create administrator" }).click();
    await expect(page.getByRole("status")).toContainText("Administrator ops created");
  });
});
