import { expect, test } from "../helpers/browser";
import { startSeededServer } from "../helpers/server";

let env: Awaited<ReturnType<typeof startSeededServer>>;

test.beforeAll(async () => {
  env = await startSeededServer();
});
test.afterAll(async () => {
  await env?.stop();
});

test("home page shows the issuer and links to the discovery document, which answers", async ({ page }) => {
  const response = await page.goto(env.server.url + "/");
  expect(response?.status()).toBe(200);
  expect(response?.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
  await expect(page).toHaveTitle("Gatehouse");
  await expect(page.getByRole("heading", { name: "Identity portal" })).toBeVisible();
  await expect(page.locator("main")).toContainText(env.server.url);

  await page.getByRole("link", { name: `${env.server.url}/.well-known/openid-configuration` }).click();
  await page.waitForURL(`${env.server.url}/.well-known/openid-configuration`);
  const metadata = JSON.parse((await page.locator("body").textContent()) ?? "{}");
  expect(metadata.issuer).toBe(env.server.url);
});
