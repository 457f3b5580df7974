// lib/db/grants.ts on PGlite and PostgreSQL with the project's migrations: what
// /account and the dashboard's grants pages list and revoke, and that a
// revocation reaches the stores the protocol core reads (refresh grant,
// bearer validation) exactly as the revocation endpoint's would.
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { findGrantClient, findGrantUser, listAuthorizations, listLiveTokens, revokeAuthorization, revokeLiveToken } from "@/lib/db/grants";
import { createAuthorizationCodeStore, createGrantStore, createRefreshTokenStore, createTokenStore } from "@/lib/db/repositories";
import { createTokenStateStore } from "@/lib/db/tokenRepositories";
import type { AuthorizationCodeBinding, RefreshTokenPayload } from "@/lib/oauth/ports";
import { describeEachBackend } from "../helpers/backends";

const APP = randomUUID();
const OTHER_APP = randomUUID();
const ALICE = randomUUID();
const BOB = randomUUID();

const inAnHour = () => new Date(Date.now() + 3600_000);

interface IssuedGrant {
  codeId: string;
  refreshHash: string;
  accessJti: string;
}

describeEachBackend("lib/db/grants.ts", (db) => {
  const sql = db.sql;

  beforeAll(async () => {
    for (const [id, clientId, name] of [[APP, "web-app", "Web App"], [OTHER_APP, "other-app", "Other App"]]) {
      await sql.query(`INSERT INTO "applications" ("id", "client_id", "display_name", "client_type", "updated_at") VALUES ($1, $2, $3, 'confidential', now())`, [id, clientId, name]);
    }
    for (const [id, username] of [[ALICE, "alice"], [BOB, "bob"]]) {
      await sql.query(`INSERT INTO "users" ("id", "username", "name", "updated_at") VALUES ($1, $2, $3, now())`, [id, username, `${username} Example`]);
    }
    await sql.query(
      `INSERT INTO "scopes" ("id", "name", "display_name", "updated_at") VALUES ($1, 'api', 'Demo API', now()), ($2, 'profile', 'Your profile', now())
       ON CONFLICT ("name") DO NOTHING`,
      [randomUUID(), randomUUID()],
    );
  }, 60_000);

  async function authorize(userId: string, applicationId: string, scopes: string[], type: "permanent" | "ad-hoc" = "permanent"): Promise<string> {
    const id = randomUUID();
    await sql.query(`INSERT INTO "authorizations" ("id", "application_id", "user_id", "scopes", "type", "updated_at") VALUES ($1, $2, $3, $4::text[], $5, now())`, [
      id,
      applicationId,
      userId,
      scopes,
      type,
    ]);
    return id;
  }

  /** What the code flow writes: a redeemed code (the grant root), a refresh token and an access token, all under `authorizationId`. */
  async function issueGrant(userId: string, applicationId: string, authorizationId: string, scopes = ["profile", "api"]): Promise<IssuedGrant> {
    const codeHash = `code-${randomUUID()}`;
    await createAuthorizationCodeStore(db).recordAuthorizationCode({
      valueHash: codeHash,
      subject: userId,
      applicationId,
      authorizationId,
      scopes,
      audiences: [],
      createdAt: new Date(),
      expiresAt: inAnHour(),
      binding: {} as AuthorizationCodeBinding,
    });
    await sql.query(`UPDATE "tokens" SET "status" = 'redeemed' WHERE "value_hash" = $1`, [codeHash]);
    const [code] = await sql.query<{ id: string }>(`SELECT "id" FROM "tokens" WHERE "value_hash" = $1`, [codeHash]);
    const refreshHash = `refresh-${randomUUID()}`;
    await createTokenStore(db).recordIssuedTokens([{ kind: "refresh_token",
      valueHash: refreshHash,
      grantId: code!.id,
      subject: userId,
      applicationId,
      authorizationId,
      scopes,
      audiences: [],
      payload: {} as RefreshTokenPayload,
      createdAt: new Date(),
      expiresAt: inAnHour(),
    }]);
    const accessJti = randomUUID();
    await createTokenStore(db).recordIssuedTokens([{ kind: "access_token",
      jti: accessJti,
      subject: userId,
      applicationId,
      authorizationId,
      grantId: code!.id,
      scopes,
      audiences: [],
      createdAt: new Date(),
      expiresAt: inAnHour(),
    }]);
    return { codeId: code!.id, refreshHash, accessJti };
  }

  async function accessTokenUsable(jti: string): Promise<boolean> {
    const state = await createTokenStateStore(db).findAccessTokenByJti(jti);
    return state !== null && state.status === "valid" && !state.grantRevoked;
  }

  async function refreshOutcome(grant: IssuedGrant, applicationId = APP): Promise<string> {
    const store = createRefreshTokenStore(db);
    const rotation = await store.rotateRefreshToken(grant.refreshHash, applicationId, [], new Date());
    if (rotation.status !== "rotated") return rotation.status;
    // The grant module checks this next (grants/refreshToken.ts); a refused grant is invalid_grant.
    return rotation.grantAuthorized ? "rotated" : "unauthorized";
  }

  describe("listAuthorizations / listLiveTokens", () => {
    it("list a user's valid authorizations with scope display names and live-token counts, never token values", async () => {
      const authorizationId = await authorize(ALICE, APP, ["profile", "api", "gone-scope"]);
      await issueGrant(ALICE, APP, authorizationId);
      const { items } = await listAuthorizations(db, { userId: ALICE });
      const listed = items.find((item) => item.id === authorizationId);
      expect(listed).toMatchObject({
        userId: ALICE,
        username: "alice",
        applicationId: APP,
        clientId: "web-app",
        clientDisplayName: "Web App",
        type: "permanent",
        liveTokens: 2,
        scopes: [
          { name: "profile", displayName: "Your profile" },
          { name: "api", displayName: "Demo API" },
          { name: "gone-scope", displayName: "gone-scope" },
        ],
      });
      expect(listed!.createdAt).toBeInstanceOf(Date);

      const tokens = await listLiveTokens(db, { userId: ALICE });
      const mine = tokens.items.filter((token) => token.authorizationId === authorizationId);
      expect(mine.map((token) => token.kind).sort()).toEqual(["access_token", "refresh_token"]);
      for (const token of mine) {
        expect(Object.keys(token).sort()).toEqual(
          ["applicationId", "authorizationId", "clientDisplayName", "clientId", "createdAt", "expiresAt", "id", "kind", "scopes", "userId", "username"].sort(),
        );
        expect(token).toMatchObject({ userId: ALICE, username: "alice", clientId: "web-app" });
      }
    });

    it("page a client's authorizations newest first: limit and offset, hasMore only while more remain", async () => {
      const app = randomUUID();
      await sql.query(`INSERT INTO "applications" ("id", "client_id", "display_name", "client_type", "updated_at") VALUES ($1, 'paged-app', 'Paged App', 'public', now())`, [app]);
      const ids: string[] = [];
      for (let index = 0; index < 5; index++) {
        const user = randomUUID();
        await sql.query(`INSERT INTO "users" ("id", "username", "name", "updated_at") VALUES ($1, $2, 'Someone', now())`, [user, `paged-${index}`]);
        const id = await authorize(user, app, ["api"]);
        await sql.query(`UPDATE "authorizations" SET "created_at" = now() - make_interval(mins => $2::int) WHERE "id" = $1`, [id, 10 - index]);
        ids.push(id);
      }
      const newestFirst = [...ids].reverse();
      const page = async (offset: number) => listAuthorizations(db, { applicationId: app }, { limit: 2, offset });
      expect(await page(0)).toMatchObject({ items: newestFirst.slice(0, 2).map((id) => ({ id })), hasMore: true });
      expect(await page(2)).toMatchObject({ items: newestFirst.slice(2, 4).map((id) => ({ id })), hasMore: true });
      expect(await page(4)).toMatchObject({ items: newestFirst.slice(4).map((id) => ({ id })), hasMore: false });
      expect((await page(6)).items).toEqual([]);
    });

    it("leave out other users' and other clients' rows, revoked authorizations, and ad-hoc ones with nothing live", async () => {
      const bobs = await authorize(BOB, APP, ["api"]);
      const revoked = await authorize(ALICE, OTHER_APP, ["api"]);
      await sql.query(`UPDATE "authorizations" SET "status" = 'revoked' WHERE "id" = $1`, [revoked]);
      const spentAdHoc = await authorize(ALICE, OTHER_APP, ["api"], "ad-hoc");
      const liveAdHoc = await authorize(ALICE, OTHER_APP, ["api"], "ad-hoc");
      await issueGrant(ALICE, OTHER_APP, liveAdHoc);

      const alices = (await listAuthorizations(db, { userId: ALICE })).items.map((item) => item.id);
      expect(alices).toContain(liveAdHoc);
      expect(alices).not.toContain(bobs);
      expect(alices).not.toContain(revoked);
      expect(alices).not.toContain(spentAdHoc);

      const otherApps = (await listAuthorizations(db, { applicationId: OTHER_APP })).items;
      expect(otherApps.map((item) => item.id)).toEqual([liveAdHoc]);
      expect(otherApps[0]!.type).toBe("ad-hoc");
      expect((await listLiveTokens(db, { applicationId: OTHER_APP })).items.every((token) => token.applicationId === OTHER_APP)).toBe(true);
    });

    it("list only live tokens: not expired, not revoked, not under a revoked grant root, no codes", async () => {
      const authorizationId = await authorize(BOB, OTHER_APP, ["api"]);
      const live = await issueGrant(BOB, OTHER_APP, authorizationId);
      const expired = await issueGrant(BOB, OTHER_APP, authorizationId);
      await sql.query(`UPDATE "tokens" SET "expires_at" = now() - interval '1 second' WHERE "grant_id" = $1 AND "kind" <> 'authorization_code'`, [expired.codeId]);
      const replayed = await issueGrant(BOB, OTHER_APP, authorizationId);
      await sql.query(`UPDATE "tokens" SET "status" = 'revoked' WHERE "id" = $1`, [replayed.codeId]);

      const listed = (await listLiveTokens(db, { userId: BOB })).items.filter((token) => token.applicationId === OTHER_APP);
      expect(listed).toHaveLength(2);
      expect(listed.map((token) => token.kind).sort()).toEqual(["access_token", "refresh_token"]);
      expect((await listAuthorizations(db, { userId: BOB })).items.find((item) => item.id === authorizationId)!.liveTokens).toBe(2);
      expect(live.codeId).not.toBe(expired.codeId);
    });

    it("page with limit and offset, newest first", async () => {
      const user = randomUUID();
      await sql.query(`INSERT INTO "users" ("id", "username", "updated_at") VALUES ($1, $2, now())`, [user, `pager-${user.slice(0, 8)}`]);
      const authorizationId = await authorize(user, APP, ["api"]);
      for (let i = 0; i < 3; i++) await issueGrant(user, APP, authorizationId);
      const first = await listLiveTokens(db, { userId: user }, { limit: 4 });
      const second = await listLiveTokens(db, { userId: user }, { limit: 4, offset: 4 });
      expect(first.items).toHaveLength(4);
      expect(first.hasMore).toBe(true);
      expect(second.items).toHaveLength(2);
      expect(second.hasMore).toBe(false);
      const all = [...first.items, ...second.items];
      expect(new Set(all.map((token) => token.id)).size).toBe(6);
      expect(all.map((token) => token.createdAt.getTime())).toEqual([...all.map((token) => token.createdAt.getTime())].sort((a, b) => b - a));
    });

    it("treat malformed ids as owning nothing (no SQL error)", async () => {
      expect(await listAuthorizations(db, { userId: "not-a-uuid" })).toEqual({ items: [], hasMore: false });
      expect(await listLiveTokens(db, { applicationId: "x'; --" })).toEqual({ items: [], hasMore: false });
      expect(await findGrantUser(db, "nope")).toBeNull();
      expect(await findGrantClient(db, randomUUID())).toBeNull();
      expect(await findGrantClient(db, APP)).toEqual({ id: APP, clientId: "web-app", displayName: "Web App" });
      expect(await findGrantUser(db, ALICE)).toEqual({ id: ALICE, username: "alice", name: "alice Example" });
    });
  });

  describe("revokeAuthorization", () => {
    it("RT-05: revokes the authorization and every token under it: refresh then refused, access token revoked", async () => {
      const authorizationId = await authorize(ALICE, APP, ["api"]);
      const grant = await issueGrant(ALICE, APP, authorizationId);
      const untouched = await issueGrant(ALICE, APP, await authorize(ALICE, APP, ["api"]));
      expect(await accessTokenUsable(grant.accessJti)).toBe(true);

      const revoked = await revokeAuthorization(db, authorizationId, { userId: ALICE });
      expect(revoked).toEqual({ authorizationId, userId: ALICE, applicationId: APP, clientId: "web-app", revokedTokens: 3 });
      const [row] = await sql.query<{ status: string }>(`SELECT "status" FROM "authorizations" WHERE "id" = $1`, [authorizationId]);
      expect(row!.status).toBe("revoked");
      expect(await accessTokenUsable(grant.accessJti)).toBe(false);
      expect(await refreshOutcome(grant)).toBe("revoked");
      // Another authorization of the same user and client keeps working.
      expect(await accessTokenUsable(untouched.accessJti)).toBe(true);
      expect((await listAuthorizations(db, { userId: ALICE })).items.map((item) => item.id)).not.toContain(authorizationId);
    });

    it("a token written under the authorization after the revocation (a refresh in flight) is refused through its revoked grant root", async () => {
      const authorizationId = await authorize(ALICE, APP, ["api"]);
      const grant = await issueGrant(ALICE, APP, authorizationId);
      await revokeAuthorization(db, authorizationId, { userId: ALICE });
      const lateJti = randomUUID();
      await createTokenStore(db).recordIssuedTokens([{ kind: "access_token",
        jti: lateJti,
        subject: ALICE,
        applicationId: APP,
        authorizationId,
        grantId: grant.codeId,
        scopes: ["api"],
        audiences: [],
        createdAt: new Date(),
        expiresAt: inAnHour(),
      }]);
      expect(await accessTokenUsable(lateJti)).toBe(false);
      expect((await listLiveTokens(db, { userId: ALICE })).items.map((token) => token.id)).not.toContain(lateJti);
    });

    it("only the owner's: another user's or another client's authorization id does nothing; a second revocation is null", async () => {
      const bobs = await authorize(BOB, APP, ["api"]);
      const grant = await issueGrant(BOB, APP, bobs);
      expect(await revokeAuthorization(db, bobs, { userId: ALICE })).toBeNull();
      expect(await revokeAuthorization(db, bobs, { applicationId: OTHER_APP })).toBeNull();
      expect(await revokeAuthorization(db, "not-a-uuid", { userId: BOB })).toBeNull();
      expect(await accessTokenUsable(grant.accessJti)).toBe(true);
      expect(await refreshOutcome(grant)).toBe("rotated");

      expect(await revokeAuthorization(db, bobs, { applicationId: APP })).toMatchObject({ authorizationId: bobs, userId: BOB });
      expect(await revokeAuthorization(db, bobs, { applicationId: APP })).toBeNull();
    });
  });

  describe("revokeLiveToken", () => {
    it("RV-01: an access token is revoked alone; the refresh token and the authorization stay", async () => {
      const authorizationId = await authorize(BOB, APP, ["api"]);
      const grant = await issueGrant(BOB, APP, authorizationId);
      const [access] = await sql.query<{ id: string }>(`SELECT "id" FROM "tokens" WHERE "jti" = $1`, [grant.accessJti]);
      const revoked = await revokeLiveToken(db, access!.id, { userId: BOB });
      expect(revoked).toEqual({ tokenId: access!.id, kind: "access_token", extent: "token", revokedTokens: 1, userId: BOB, applicationId: APP, clientId: "web-app" });
      expect(await accessTokenUsable(grant.accessJti)).toBe(false);
      expect(await refreshOutcome(grant)).toBe("rotated");
    });

    it("RV-02: a refresh token takes its whole grant along (as /connect/revoke does), not the authorization", async () => {
      const authorizationId = await authorize(BOB, APP, ["api"]);
      const grant = await issueGrant(BOB, APP, authorizationId);
      const [refresh] = await sql.query<{ id: string }>(`SELECT "id" FROM "tokens" WHERE "value_hash" = $1`, [grant.refreshHash]);
      const revoked = await revokeLiveToken(db, refresh!.id, { applicationId: APP });
      expect(revoked).toMatchObject({ kind: "refresh_token", extent: "grant", revokedTokens: 3, userId: BOB });
      expect(await accessTokenUsable(grant.accessJti)).toBe(false);
      expect(await refreshOutcome(grant)).toBe("revoked");
      const [row] = await sql.query<{ status: string }>(`SELECT "status" FROM "authorizations" WHERE "id" = $1`, [authorizationId]);
      expect(row!.status).toBe("valid");
    });

    it("refuses someone else's token, a code, and a token that is no longer live", async () => {
      const authorizationId = await authorize(BOB, APP, ["api"]);
      const grant = await issueGrant(BOB, APP, authorizationId);
      const [access] = await sql.query<{ id: string }>(`SELECT "id" FROM "tokens" WHERE "jti" = $1`, [grant.accessJti]);
      expect(await revokeLiveToken(db, access!.id, { userId: ALICE })).toBeNull();
      expect(await revokeLiveToken(db, access!.id, { applicationId: OTHER_APP })).toBeNull();
      expect(await revokeLiveToken(db, grant.codeId, { userId: BOB })).toBeNull();
      expect(await accessTokenUsable(grant.accessJti)).toBe(true);
      expect(await revokeLiveToken(db, access!.id, { applicationId: APP })).not.toBeNull();
      expect(await revokeLiveToken(db, access!.id, { applicationId: APP })).toBeNull();
    });

    it("a client's own token (client_credentials) is listed for the client, never for a user whose id it carries", async () => {
      const jti = randomUUID();
      // A client whose client_id looks like a user id must not make its tokens that user's.
      await createTokenStore(db).recordIssuedTokens([{ kind: "access_token", jti, subject: ALICE, applicationId: OTHER_APP, grantId: null, scopes: ["api"], audiences: [], createdAt: new Date(), expiresAt: inAnHour() }]);
      const [row] = await sql.query<{ id: string }>(`SELECT "id" FROM "tokens" WHERE "jti" = $1`, [jti]);
      expect((await listLiveTokens(db, { userId: ALICE })).items.map((token) => token.id)).not.toContain(row!.id);
      const forClient = (await listLiveTokens(db, { applicationId: OTHER_APP })).items.find((token) => token.id === row!.id);
      expect(forClient).toMatchObject({ userId: null, username: null, authorizationId: null });
      expect(await revokeLiveToken(db, row!.id, { userId: ALICE })).toBeNull();
      expect(await revokeLiveToken(db, row!.id, { applicationId: OTHER_APP })).toMatchObject({ extent: "token", userId: null });
    });
  });
  describe("rotateRefreshToken, concurrent", () => {
    it("RT-02 / RT-03 / RT-04 / RT-05: each rotation gets its own outcome; a token presented twice at once rotates once, the other is a replay", async () => {
      const store = createRefreshTokenStore(db);
      const consent = await authorize(ALICE, APP, ["profile", "api"]);
      const [lead, twice, narrower, wider, otherClient, revokedGrant] = await Promise.all(
        Array.from({ length: 6 }, () => issueGrant(ALICE, APP, consent)),
      );
      await createGrantStore(db).revokeGrant(revokedGrant!.codeId);
      const bobConsent = await authorize(BOB, APP, ["profile", "api"]);
      const bobs = await issueGrant(BOB, APP, bobConsent);
      await sql.query(`UPDATE "users" SET "enabled" = false WHERE "id" = $1`, [BOB]);
      try {
        const now = new Date();
        const outcomes = await Promise.all([
          store.rotateRefreshToken(lead!.refreshHash, APP, [], now),
          store.rotateRefreshToken(twice!.refreshHash, APP, [], now),
          store.rotateRefreshToken(twice!.refreshHash, APP, [], now),
          store.rotateRefreshToken(narrower!.refreshHash, APP, ["api"], now),
          store.rotateRefreshToken(wider!.refreshHash, APP, ["api", "email"], now),
          store.rotateRefreshToken(otherClient!.refreshHash, OTHER_APP, [], now),
          store.rotateRefreshToken(revokedGrant!.refreshHash, APP, [], now),
          store.rotateRefreshToken(bobs.refreshHash, APP, [], now),
          store.rotateRefreshToken(`refresh-${randomUUID()}`, APP, [], now),
        ]);
        expect(outcomes[0]).toMatchObject({ status: "rotated", grantAuthorized: true, token: { grantId: lead!.codeId } });
        expect([outcomes[1]!.status, outcomes[2]!.status].sort()).toEqual(["replayed", "rotated"]);
        expect(outcomes[3]).toMatchObject({ status: "rotated", grantAuthorized: true, token: { grantId: narrower!.codeId, scopes: ["profile", "api"] } });
        expect(outcomes[4]).toMatchObject({ status: "scope_exceeded" });
        expect(outcomes[5]).toMatchObject({ status: "wrong_client" });
        expect(outcomes[6]).toMatchObject({ status: "revoked" });
        expect(outcomes[7]).toMatchObject({ status: "rotated", grantAuthorized: false });
        expect(outcomes[8]).toMatchObject({ status: "unknown" });
        // Refused asks left their tokens as they were: the wider request's token still rotates.
        expect((await store.rotateRefreshToken(wider!.refreshHash, APP, ["api"], new Date())).status).toBe("rotated");
      } finally {
        await sql.query(`UPDATE "users" SET "enabled" = true WHERE "id" = $1`, [BOB]);
      }
    });
  });
});
