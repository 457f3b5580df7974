// Audit webhooks from the built server (issue #13 item 8; docs/decisions/0023-audit-webhooks.md): a token
// request's token.issued event reaches a local receiver, signed so that the `standardwebhooks` library (one
// we did not write) verifies it; a 500 is retried after the first backoff (5 s) and then delivered; a
// redirect is a failure and is not followed. All on two workers on one PostgreSQL: every worker enqueues
// and every worker delivers, and still each delivery reaches the receiver exactly once (claims take rows
// FOR UPDATE SKIP LOCKED and lease them). PostgreSQL only: several workers need it, and the outbox itself
// is unit-tested on both backends. Each worker looks for due deliveries every second
// (GATEHOUSE_WEBHOOK_POLL_SECONDS) instead of every 5 s, so a retry comes within a second of falling due.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import { Webhook } from "standardwebhooks";
import { API_SCOPE, postForm, postmanBasic } from "../helpers/oauth";
import { createSeededStore, runCli, startServer, testBackend, type RunningServer, type TestStore } from "../helpers/server";

const SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const TOKENS = 30;

interface Received {
  headers: Record<string, string>;
  body: string;
}

/** A receiver answering with the statuses queued by the test (200 when none is queued). */
function startReceiver() {
  const received: Received[] = [];
  const answers: { status: number; headers?: Record<string, string> }[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ headers: request.headers as Record<string, string>, body: Buffer.concat(chunks).toString("utf8") });
      const answer = answers.shift() ?? { status: 200 };
      response.writeHead(answer.status, answer.headers).end();
    });
  });
  const listening = new Promise<string>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/gatehouse-events`)),
  );
  return { received, answers, listening, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

let store: TestStore;
let server: RunningServer;
const receiver = startReceiver();
const elsewhere = startReceiver();

beforeAll(async () => {
  const seeded = await createSeededStore();
  if (!seeded.seeded) await runCli(seeded, ["seed-demo"]);
  store = seeded;
  server = await startServer(store, {
    GATEHOUSE_WORKERS: "2",
    GATEHOUSE_WEBHOOK_URL: await receiver.listening,
    GATEHOUSE_WEBHOOK_SECRET: SECRET,
    GATEHOUSE_WEBHOOK_EVENTS: "token.issued",
    GATEHOUSE_WEBHOOK_POLL_SECONDS: "1",
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await store?.cleanup();
  await Promise.all([receiver.close(), elsewhere.close()]);
});

async function issueToken(): Promise<void> {
  const response = await postForm(`${server.url}/connect/token`, {
    headers: { Authorization: postmanBasic() },
    body: { grant_type: "client_credentials", scope: API_SCOPE.name },
  });
  expect(response.status).toBe(200);
}

/** The server's error lines, to say why a request failed. */
const errorsLogged = () =>
  server
    .output()
    .split("\n")
    .filter((line) => /"level":"(error|fatal)"|Error/.test(line))
    .join("\n");

const verified = (message: Received) => new Webhook(SECRET).verify(message.body, message.headers) as { type: string; data: Record<string, unknown> };

// First, so that no retry of a later test's failed delivery arrives among its deliveries.
test(`two workers deliver ${TOKENS} token.issued events, each exactly once (${testBackend()})`, async () => {
  const responses = await Promise.all(
    Array.from({ length: TOKENS }, () =>
      postForm(`${server.url}/connect/token`, { headers: { Authorization: postmanBasic() }, body: { grant_type: "client_credentials", scope: API_SCOPE.name } }),
    ),
  );
  expect(responses.map((response) => response.status), errorsLogged()).toEqual(Array(TOKENS).fill(200));
  await expect.poll(() => receiver.received.length, { timeout: 20_000, interval: 100 }).toBe(TOKENS);
  // Both workers' polls (every second) have come round since: still no second send of any delivery.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  expect(receiver.received).toHaveLength(TOKENS);
  for (const message of receiver.received) expect(verified(message).type).toBe("token.issued");
  expect(new Set(receiver.received.map((message) => message.headers["webhook-id"])).size).toBe(TOKENS);
}, 60_000);

test(`a client_credentials token request is delivered as a signed token.issued webhook (${testBackend()})`, async () => {
  const before = receiver.received.length;
  await issueToken();
  await expect.poll(() => receiver.received.length, { timeout: 15_000, interval: 100 }).toBe(before + 1);
  const message = receiver.received[before]!;
  expect(message.headers["content-type"]).toBe("application/json");
  const payload = verified(message);
  expect(payload.type).toBe("token.issued");
  expect(payload.data).toMatchObject({ kind: "token.issued", client_id: "postman" });
  expect(payload.data.id).toMatch(/^[0-9a-f-]{36}$/);
  expect(message.body).not.toContain(SECRET.slice("whsec_".length));
});

test("a receiver answering 500 gets the delivery again after the first backoff, with the same webhook-id, and then it is delivered", async () => {
  const before = receiver.received.length;
  receiver.answers.push({ status: 500 });
  await issueToken();
  await expect.poll(() => receiver.received.length, { timeout: 30_000, interval: 200 }).toBe(before + 2);
  const [first, second] = receiver.received.slice(before) as [Received, Received];
  expect(second.headers["webhook-id"]).toBe(first.headers["webhook-id"]);
  expect(Number(second.headers["webhook-timestamp"]) - Number(first.headers["webhook-timestamp"])).toBeGreaterThanOrEqual(4);
  expect(verified(second).type).toBe("token.issued");
  expect(server.output()).toMatch(/webhook delivery failed; retrying in 5 s/);
  expect(server.output()).not.toContain(SECRET.slice("whsec_".length));
  // Delivered: no third attempt comes. The next event's delivery run claims whatever is due then, as a
  // poll would; only that event arrives.
  await issueToken();
  await expect.poll(() => receiver.received.length, { timeout: 15_000, interval: 100 }).toBe(before + 3);
  const [, , next] = receiver.received.slice(before) as [Received, Received, Received];
  expect(next.headers["webhook-id"]).not.toBe(first.headers["webhook-id"]);
  expect(receiver.received.filter((message) => message.headers["webhook-id"] === first.headers["webhook-id"])).toHaveLength(2);
}, 60_000);

test("a webhook URL answering 302 is not followed: the delivery fails there and the Location is never called", async () => {
  const before = receiver.received.length;
  receiver.answers.push({ status: 302, headers: { location: await elsewhere.listening } });
  await issueToken();
  await expect.poll(() => receiver.received.length, { timeout: 15_000, interval: 100 }).toBeGreaterThanOrEqual(before + 1);
  await expect.poll(() => server.output(), { timeout: 10_000, interval: 100 }).toMatch(/"status":302/);
  expect(elsewhere.received).toHaveLength(0);
}, 60_000);
