import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser } from "../helpers/browser";
import { startSeededServer } from "../helpers/server";

describe("portal home page in Chromium", () => {
  let env: Awaited<ReturnType<typeof startSeededServer>>;
  let browser: Browser;

  beforeAll(async () => {
    [env, browser] = await Promise.all([startSeededServer(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await env?.stop();
  });

  it("shows the issuer and links to the protocol endpoints, which answer", async () => {
    const page = await browser.newPage();
    const response = await page.goto(env.server.url + "/");
    expect(response?.status()).toBe(200);
    expect(response?.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
    await expect(page.title()).resolves.toBe("Gatehouse");
    await page.getByRole("heading", { name: "Identity portal" }).waitFor();
    expect(await page.textContent("main")).toContain(env.server.url);

    const discoveryLink = page.getByRole("link", { name: `${env.server.url}/.well-known/openid-configuration` });
    await discoveryLink.click();
    await page.waitForURL(`${env.server.url}/.well-known/openid-configuration`);
    const metadata = JSON.parse((await page.textContent("body")) ?? "{}");
    expect(metadata.issuer).toBe(env.server.url);
    await page.close();
  });
});
