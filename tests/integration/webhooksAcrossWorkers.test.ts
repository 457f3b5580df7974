// Audit webhooks with several server processes on one PostgreSQL (decision 0023): every worker enqueues
// and every worker delivers, and still each delivery reaches the receiver exactly once (claims take rows
// FOR UPDATE SKIP LOCKED and lease them).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import { Webhook } from "standardwebhooks";
import { API_SCOPE, postForm, postmanBasic } from "../helpers/oauth";
import { createSeededStore, runCli, startServer, testBackend, type RunningServer, type TestStore } from "../helpers/server";

const SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const TOKENS = 30;
const ids: string[] = [];
const receiver = http.createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    new Webhook(SECRET).verify(Buffer.concat(chunks).toString("utf8"), request.headers as Record<string, string>);
    ids.push(String(request.headers["webhook-id"]));
    response.writeHead(204).end();
  });
});

let store: TestStore;
let server: RunningServer;

beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const seeded = await createSeededStore();
  if (!seeded.seeded) await runCli(seeded, ["seed-demo"]);
  store = seeded;
  server = await startServer(store, {
    GATEHOUSE_WORKERS: "2",
    GATEHOUSE_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/in`,
    GATEHOUSE_WEBHOOK_SECRET: SECRET,
    GATEHOUSE_WEBHOOK_EVENTS: "token.issued",
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await store?.cleanup();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

test(`two workers deliver ${TOKENS} token.issued events, each exactly once (${testBackend()})`, async () => {
  const responses = await Promise.all(
    Array.from({ length: TOKENS }, () =>
      postForm(`${server.url}/connect/token`, { headers: { Authorization: postmanBasic() }, body: { grant_type: "client_credentials", scope: API_SCOPE.name } }),
    ),
  );
  expect(responses.map((response) => response.status)).toEqual(Array(TOKENS).fill(200));
  await expect.poll(() => ids.length, { timeout: 20_000, interval: 100 }).toBe(TOKENS);
  // Both workers' polls (every 5 s) have come round since: still no second send of any delivery.
  await new Promise((resolve) => setTimeout(resolve, 6_000));
  expect(ids).toHaveLength(TOKENS);
  expect(new Set(ids).size).toBe(TOKENS);
}, 60_000);
