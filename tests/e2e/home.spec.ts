import { expect, test } from "../helpers/browser";

test("home page shows the issuer and links to the discovery document, which answers", async ({ page, gatehouse }) => {
  const response = await page.goto(gatehouse.url + "/");
  expect(response?.status()).toBe(200);
  expect(response?.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
  await expect(page).toHaveTitle("Gatehouse");
  await expect(page.getByRole("heading", { name: "Identity portal" })).toBeVisible();
  await expect(page.locator("main")).toContainText(gatehouse.url);

  await page.getByRole("link", { name: `${gatehouse.url}/.well-known/openid-configuration` }).click();
  await page.waitForURL(`${gatehouse.url}/.well-known/openid-configuration`);
  const metadata = JSON.parse((await page.locator("body").textContent()) ?? "{}");
  expect(metadata.issuer).toBe(gatehouse.url);
});
