// The purge as the built server schedules it (lib/gatehouse.ts, decision 0010):
// GATEHOUSE_PURGE_INTERVAL_SECONDS and GATEHOUSE_AUDIT_RETENTION_DAYS reach it,
// expired rows go, live ones stay. Runs on PostgreSQL (tests/helpers/integrationBackends.ts):
// purgeExpired and the schedule are unit-tested on both backends (tests/unit/purge.test.ts).
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import { queryStore } from "../helpers/processes";
import { createSeededStore, runCli, startServer, testBackend, type TestStore } from "../helpers/server";

let store: TestStore;

beforeAll(async () => {
  // A migrated store: a copy of the session's template, or one the CLI seeds here.
  const seeded = await createSeededStore();
  if (!seeded.seeded) await runCli(seeded, ["seed-demo"]);
  store = seeded;
}, 120_000);

afterAll(async () => {
  await store?.cleanup();
});

test(`the server purges on its schedule, keeping live rows and recent audit events (${testBackend()})`, async () => {
  const [app] = await queryStore<{ id: string }>(store, `SELECT "id" FROM "applications" LIMIT 1`);
  const appId = app?.id ?? randomUUID();
  if (!app) {
    await queryStore(store, `INSERT INTO "applications" ("id", "client_id", "display_name", "client_type", "updated_at") VALUES ($1::uuid, 'purge-schedule', 'P', 'public', now())`, [appId]);
  }
  const insertInteraction = (id: string, expires: string) =>
    queryStore(store, `INSERT INTO "interactions" ("id", "application_id", "request", "expires_at") VALUES ($1, $2::uuid, '{}'::jsonb, now() + $3::interval)`, [id, appId, expires]);
  await insertInteraction("expired", "-1 minute");
  await insertInteraction("live", "1 hour");
  const insertEvent = (kind: string, age: string) =>
    queryStore(store, `INSERT INTO "audit_events" ("id", "at", "kind") VALUES ($1::uuid, now() - $2::interval, $3)`, [randomUUID(), age, kind]);
  await insertEvent("test.ancient", "40 days");
  await insertEvent("test.recent", "5 days");

  const server = await startServer(store, { GATEHOUSE_PURGE_INTERVAL_SECONDS: "1", GATEHOUSE_AUDIT_RETENTION_DAYS: "30" });
  try {
    await expect.poll(() => server.output(), { timeout: 20_000, interval: 200 }).toMatch(/\[gatehouse\] purge: deleted .*1 interactions/);
  } finally {
    await server.stop();
  }
  expect((await queryStore<{ id: string }>(store, `SELECT "id" FROM "interactions" ORDER BY "id"`)).map((row) => row.id)).toEqual(["live"]);
  const kinds = (await queryStore<{ kind: string }>(store, `SELECT "kind" FROM "audit_events" WHERE "kind" LIKE 'test.%'`)).map((row) => row.kind);
  expect(kinds).toEqual(["test.recent"]);
});

test("a bad GATEHOUSE_AUDIT_RETENTION_DAYS stops the start with a message naming it", async () => {
  await expect(startServer(store, { GATEHOUSE_AUDIT_RETENTION_DAYS: "0" })).rejects.toThrow(/GATEHOUSE_AUDIT_RETENTION_DAYS must be a number of days/);
});
