// Issue #10 item 4 (decision 0010): anonymous authorization requests must not
// grow storage. 1,000 requests with worst-case parameters within the limits
// (a 2 KiB state, a 2 KiB nonce, a login_hint) must add under 2 MB to the
// database; before the fix, 400 such requests (with a 64 KB state) added 57 MB.
//
// The measure, before and after the 1,000 requests: a CHECKPOINT and
// pg_database_size, and on the embedded backend the whole data directory summed
// too (WAL included). Runs on the embedded PGlite only (tests/helpers/integrationBackends.ts):
// its figure counts every write, the WAL's included, where PostgreSQL's
// pg_database_size leaves out the WAL (a row updated in place could grow
// nothing there), and the server's authorization path is the same on both.
// The "after" figure is taken with the server stopped (PGlite shuts down with a
// checkpoint; nothing left unwritten), the store opened beside it. The "before"
// figure on PostgreSQL (run by hand) is read beside the running server; the
// embedded database has one opener, so there the server is stopped for it too
// and started again, and the "after" figure also holds that restart's own
// writes (a few kilobytes), which only makes the measure stricter.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openDatabase } from "@/lib/db/client";
import { DEMO_SPA, newPkce } from "../helpers/codeFlow";
import { startSeededServer, startServer, testBackend, type RunningServer, type TestStore } from "../helpers/server";

const backend = testBackend();
const LIMIT_BYTES = 2 * 1024 * 1024;
const REQUESTS = 1000;
const IN_FLIGHT = 16;

let seeded: Awaited<ReturnType<typeof startSeededServer>>;
/** Undefined while the embedded store is being measured (the server stopped). */
let server: RunningServer | undefined;

beforeAll(async () => {
  seeded = await startSeededServer();
  server = seeded.server;
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await seeded?.stop();
});

/** Apparent size of every file under `dir`. */
function directoryBytes(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += fs.statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return total;
}

interface StorageFigures {
  databaseBytes: number;
  /** The embedded data directory (WAL included); null on PostgreSQL. */
  directoryBytes: number | null;
  interactionRows: number;
}

/** The figures; on PGlite the server must be stopped. */
async function measure(): Promise<StorageFigures> {
  const { store } = seeded;
  const query = async (run: (sql: (text: string) => Promise<Record<string, unknown>[]>) => Promise<StorageFigures>) => {
    if (store.backend === "postgres") {
      const client = new pg.Client({ connectionString: store.env.DATABASE_URL });
      await client.connect();
      try {
        return await run(async (text) => (await client.query(text)).rows);
      } finally {
        await client.end();
      }
    }
    const db = await openDatabase({ dataDir: store.dataDir });
    try {
      return await run((text) => db.sql.query(text));
    } finally {
      await db.close();
    }
  };
  const figures = await query(async (sql) => {
    await sql("CHECKPOINT");
    const [size] = await sql(`SELECT pg_database_size(current_database())::bigint AS "bytes"`);
    const [rows] = await sql(`SELECT count(*)::int AS "n" FROM "interactions"`);
    return { databaseBytes: Number(size!.bytes), directoryBytes: null, interactionRows: Number(rows!.n) };
  });
  if (store.backend === "pglite") figures.directoryBytes = directoryBytes(path.join(store.dataDir, "pglite"));
  return figures;
}

/**
 * The "before" figures: on PostgreSQL beside the running server; on PGlite (one opener) with the server
 * stopped, then started again for the requests.
 */
async function measureBefore(store: TestStore): Promise<StorageFigures> {
  if (store.backend === "postgres") return measure();
  const figures = await stopAndMeasure();
  server = await startServer(store);
  return figures;
}

/** The "after" figures, the file's last use of the server: stopped first on both backends, so that every write is flushed. */
async function stopAndMeasure(): Promise<StorageFigures> {
  await server?.stop();
  server = undefined;
  return measure();
}

function anonymousRequest(base: string, i: number, pkce: { challenge: string }): string {
  const params = new URLSearchParams({
    response_type: "code",
    client_id: DEMO_SPA.clientId,
    redirect_uri: DEMO_SPA.redirectUri,
    scope: "openid profile",
    // Worst case within the limits, and different every time (nothing compresses away).
    state: randomBytes(1536).toString("base64url"), // 2048 characters
    nonce: randomBytes(1536).toString("base64url"),
    login_hint: `user-${i}-${randomBytes(96).toString("base64url")}@example.com`,
    code_challenge: pkce.challenge,
    code_challenge_method: "S256",
  });
  return `${base}/connect/authorize?${params}`;
}

// Before the storage test, which stops the server.
describe("the parameter size limit over HTTP", () => {
  const request = (overrides: Record<string, string>) =>
    `${server!.url}/connect/authorize?${new URLSearchParams({
      response_type: "code",
      client_id: DEMO_SPA.clientId,
      redirect_uri: DEMO_SPA.redirectUri,
      scope: "openid",
      state: "st",
      code_challenge: newPkce().challenge,
      code_challenge_method: "S256",
      ...overrides,
    })}`;

  test("a 2 KiB + 1 nonce is invalid_request back to the client, naming the parameter and the limit, with state and iss", async () => {
    const response = await fetch(request({ nonce: "n".repeat(2049) }), { redirect: "manual" });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get("location")!);
    expect(location.origin + location.pathname).toBe(DEMO_SPA.redirectUri);
    expect(location.searchParams.get("error")).toBe("invalid_request");
    expect(location.searchParams.get("error_description")).toBe("The nonce parameter is longer than 2048 bytes, the limit for each authorization request parameter.");
    expect(location.searchParams.get("state")).toBe("st");
    expect(location.searchParams.get("iss")).toBe(server!.url);
  });

  test("a 2 KiB + 1 state is invalid_request, and the state is not sent back", async () => {
    const response = await fetch(request({ state: "s".repeat(2049) }), { redirect: "manual" });
    const location = new URL(response.headers.get("location")!);
    expect(location.searchParams.get("error")).toBe("invalid_request");
    expect(location.searchParams.has("state")).toBe(false);
  });

  test("exactly 2 KiB is accepted: the request goes on to the login page", async () => {
    const response = await fetch(request({ state: "s".repeat(2048), nonce: "n".repeat(2048) }), { redirect: "manual" });
    expect(response.status).toBe(303);
    expect(new URL(response.headers.get("location")!).pathname).toBe("/login");
  });

  test("a 2 KiB + 1 client_id is an error page: nothing is redirected before the client is known", async () => {
    const response = await fetch(request({ client_id: "c".repeat(2049) }), { redirect: "manual" });
    expect(response.status).toBe(400);
    expect(response.headers.get("location")).toBeNull();
    expect(await response.text()).toContain("The client_id parameter is longer than 2048 bytes");
  });
});

describe(`anonymous authorization requests do not grow storage (${backend})`, () => {
  test("1,000 anonymous requests with a 2 KiB state and nonce add under 2 MB to the database, and no rows", async () => {
    const pkce = newPkce();
    // Warm up (lazy first writes of a fresh server), then take the "before" figures.
    for (let i = 0; i < 5; i++) await fetch(anonymousRequest(server!.url, i, pkce), { redirect: "manual" });
    const before = await measureBefore(seeded.store);
    const url = server!.url;

    let next = 0;
    let toLogin = 0;
    const statuses = new Map<number, number>();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < REQUESTS) {
          const i = next++;
          const response = await fetch(anonymousRequest(url, i, pkce), { redirect: "manual" });
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          if (new URL(response.headers.get("location") ?? "/", url).pathname === "/login") toLogin++;
        }
      }),
    );
    expect(Object.fromEntries(statuses)).toEqual({ 303: REQUESTS });
    expect(toLogin).toBe(REQUESTS);

    const after = await stopAndMeasure();

    const grew = { database: after.databaseBytes - before.databaseBytes, directory: (after.directoryBytes ?? 0) - (before.directoryBytes ?? 0) };
    console.log(`[anonymousStorage] ${backend}: ${REQUESTS} anonymous requests: database ${before.databaseBytes} -> ${after.databaseBytes} bytes (+${grew.database})` +
      (after.directoryBytes !== null ? `, data directory ${before.directoryBytes} -> ${after.directoryBytes} bytes (+${grew.directory})` : ""));
    expect(after.interactionRows).toBe(before.interactionRows);
    expect(grew.database).toBeLessThan(LIMIT_BYTES);
    if (after.directoryBytes !== null) expect(grew.directory).toBeLessThan(LIMIT_BYTES);
  }, 300_000);
});
