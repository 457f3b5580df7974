// Disabling a user (lib/db/userAdmin.ts disableUser, the dashboard's "Disable
// account") against the real server: the user's portal session ends, their
// refresh token gives invalid_grant, their access token is inactive at
// introspection and refused at userinfo, and they cannot sign in. HTTP
// behaviour, so one backend: PostgreSQL (tests/helpers/integrationBackends.ts),
// where the test process changes the store while the server runs; the store
// functions themselves are tested on both backends in tests/unit/userAdmin.test.ts.
// Run on the embedded database (GATEHOUSE_TEST_BACKEND=pglite) it still works:
// the server is stopped while the test process opens the store (PGlite has one
// opener), then started again with the same issuer, so the tokens issued before
// stay the server's own. CONFORMANCE.md RT-05, IR-02.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openDatabase } from "@/lib/db/client";
import { disableUser, enableUser } from "@/lib/db/userAdmin";
import { DEMO_USER } from "../helpers/codeFlow";
import { postmanToken } from "../helpers/oauth";
import { signInOverHttp } from "../helpers/portal";
import { queryStore } from "../helpers/processes";
import { startServer, startSeededServer, type RunningServer } from "../helpers/server";
import {
  isActiveAtIntrospection,
  portalSession,
  refreshOutcome,
  userTokensForPostman,
  userinfoStatus,
  type UserTokens,
} from "../helpers/userTokens";

let suite: Awaited<ReturnType<typeof startSeededServer>>;
let server: RunningServer;
let issuer: string;

beforeAll(async () => {
  suite = await startSeededServer();
  server = suite.server;
  issuer = server.url;
});
afterAll(async () => {
  await server?.stop();
  await suite?.store.cleanup();
});

/**
 * Runs `work` on the store's database: beside the running server on PostgreSQL; on PGlite with the
 * server stopped, then started again with the same issuer.
 */
async function withStoreOpen<T>(work: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> {
  const embedded = suite.store.backend === "pglite";
  if (embedded) await server.stop();
  const db = await openDatabase({ databaseUrl: suite.store.env.DATABASE_URL, dataDir: suite.store.dataDir });
  try {
    return await work(db);
  } finally {
    await db.close();
    if (embedded) server = await startServer(suite.store, { GATEHOUSE_ISSUER: issuer });
  }
}

async function aliceId(): Promise<string> {
  const rows = await queryStore<{ id: string }>(suite.store, `SELECT "id" FROM "users" WHERE "username" = $1`, [DEMO_USER.username]);
  return rows[0]!.id;
}

describe("disabling a user", () => {
  test("RT-05 / IR-02: ends the portal session, revokes the refresh and access tokens, and stops sign-in", async () => {
    const signIn = await signInOverHttp(server.url, DEMO_USER.username, DEMO_USER.password);
    expect(signIn.response.status).toBe(303);
    const cookie = signIn.cookie;
    const issued = await userTokensForPostman(server.url, cookie);
    // A refresh works before: its new pair is what the disable must kill (the first refresh token is now redeemed).
    const rotated = await refreshOutcome(server.url, issued.refresh_token);
    expect(rotated.status).toBe(200);
    const tokens = rotated.tokens as UserTokens;
    expect(await isActiveAtIntrospection(server.url, tokens.access_token)).toBe(true);
    expect(await userinfoStatus(server.url, tokens.access_token)).toBe(200);
    expect((await portalSession(server.url, cookie))?.user?.name).toBe(DEMO_USER.username);
    // A client's own token (subject = the client) must survive: proof that what follows is the disable at work.
    const clientToken = await postmanToken(server.url);

    const id = await withStoreOpen(async (db) => {
      const admin = await db.prisma.user.findUniqueOrThrow({ where: { username: "admin" } });
      const userId = (await db.prisma.user.findUniqueOrThrow({ where: { username: DEMO_USER.username } })).id;
      const result = await disableUser(db, { userId, actorId: admin.id });
      expect(result).toMatchObject({ status: "disabled", username: DEMO_USER.username, sessionsEnded: 1 });
      return userId;
    });
    const base = server.url;

    expect(await portalSession(base, cookie)).toBeNull();
    expect(await refreshOutcome(base, tokens.refresh_token)).toMatchObject({ status: 400, error: "invalid_grant" });
    expect(await isActiveAtIntrospection(base, tokens.access_token)).toBe(false);
    expect(await userinfoStatus(base, tokens.access_token)).toBe(401);
    expect(await isActiveAtIntrospection(base, clientToken.access_token)).toBe(true);
    const refused = await signInOverHttp(base, DEMO_USER.username, DEMO_USER.password);
    expect(refused.response.status).not.toBe(303);
    expect(refused.cookie).toBe("");

    // Enabling lets alice sign in again, but what the disable ended stays ended.
    await withStoreOpen(async (db) => expect(await enableUser(db, id)).toMatchObject({ status: "enabled" }));
    expect((await signInOverHttp(server.url, DEMO_USER.username, DEMO_USER.password)).response.status).toBe(303);
    expect(await isActiveAtIntrospection(server.url, tokens.access_token)).toBe(false);
    expect(await refreshOutcome(server.url, tokens.refresh_token)).toMatchObject({ status: 400, error: "invalid_grant" });
    expect(await portalSession(server.url, cookie)).toBeNull();
    expect(await aliceId()).toBe(id);
  }, 90_000);
});
