// The dashboard's Webhooks page in Chromium (issue #13 item 8; docs/decisions/0023-audit-webhooks.md): on a
// server of this spec's own, delivering to a local receiver that takes token.issued (200) and refuses sign-in
// events (500), an administrator sees that webhooks are on, the URL without its query (never the secret), and
// the latest deliveries with their event, status, attempts and last answer. The page passes axe.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { expect, test, expectAccessible, addSessionCookies } from "../helpers/browser";
import { TOKEN_PATH, postForm, postmanBasic } from "../helpers/oauth";
import { signedInCookie } from "../helpers/portal";
import { startSeededServer, TEST_ADMIN_PASSWORD } from "../helpers/server";

const SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const received: string[] = [];
const receiver = http.createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    const { type } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { type: string };
    received.push(type);
    response.writeHead(type.startsWith("signin.") ? 500 : 200).end();
  });
});
let gatehouse: Awaited<ReturnType<typeof startSeededServer>>;
let receiverUrl: string;

test.beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/gatehouse-events`;
  gatehouse = await startSeededServer({
    GATEHOUSE_WEBHOOK_URL: `${receiverUrl}?tenant=private-query-value`,
    GATEHOUSE_WEBHOOK_SECRET: SECRET,
    GATEHOUSE_WEBHOOK_EVENTS: "token.issued,signin.",
  });
});

test.afterAll(async () => {
  await gatehouse?.stop();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

test("an administrator sees the webhook configuration and the latest deliveries, delivered and retried", async ({ page }) => {
  const base = gatehouse.server.url;
  // Over HTTP (the form is signin.spec.ts's): a signin.succeeded event all the same.
  await addSessionCookies(page.context(), base, await signedInCookie(base, "admin", TEST_ADMIN_PASSWORD));
  const token = await postForm(base + TOKEN_PATH, { headers: { Authorization: postmanBasic() }, body: { grant_type: "client_credentials", scope: "api" } });
  expect(token.status).toBe(200);
  await expect.poll(() => received.includes("token.issued") && received.includes("signin.succeeded"), { timeout: 15_000 }).toBe(true);

  await page.goto(`${base}/dashboard/webhooks`);
  await expect(page.getByRole("heading", { level: 1, name: "Webhooks" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Webhooks" })).toHaveAttribute("aria-current", "page");
  const configuration = page.getByRole("region", { name: "Configuration" });
  await expect(configuration).toContainText("On");
  await expect(configuration).toContainText(receiverUrl);
  await expect(configuration).toContainText("token.issued, signin.");
  const html = await page.content();
  expect(html).not.toContain("private-query-value");
  expect(html).not.toContain(SECRET.slice("whsec_".length));

  const table = page.getByRole("table", { name: "Webhook deliveries, newest first" });
  const delivered = table.getByRole("row").filter({ hasText: "token.issued" });
  await expect(delivered).toHaveCount(1);
  await expect(delivered).toContainText("Delivered");
  await expect(delivered).toContainText("HTTP 200");
  const refused = table.getByRole("row").filter({ hasText: "signin.succeeded" });
  await expect(refused).toHaveCount(1);
  await expect(refused).toContainText("Pending");
  await expect(refused).toContainText("HTTP 500");
  await expect(refused).toContainText("answered HTTP 500");
  await expectAccessible(page, "the webhooks page");
});
