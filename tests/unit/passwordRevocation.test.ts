// Issue #10 item 5 at the store level, on PGlite and on PostgreSQL: an admin's
// password reset revokes every session and token of the user; the user's own
// password change ends their other sessions and revokes the tokens obtained in
// them, and keeps what the current session obtained.
import { randomBytes, randomUUID } from "node:crypto";
import { beforeAll, expect, it } from "vitest";
import { changeAccountPassword } from "@/lib/db/account";
import { createAuthorizationCodeStore, createRefreshTokenStore, createTokenStore } from "@/lib/db/repositories";
import { createTokenStateStore } from "@/lib/db/tokenRepositories";
import { createUser, resetUserPassword } from "@/lib/db/userAdmin";
import type { AuthorizationCodeBinding, RefreshTokenPayload } from "@/lib/oauth/ports";
import { hashOpaqueValue } from "@/lib/oauth/secrets";
import { describeEachBackend } from "../helpers/backends";

/** One code-flow grant as the token endpoint leaves it: a redeemed code, its access token and refresh token. */
interface Grant {
  codeId: string;
  accessJti: string;
  refreshValue: string;
}

describeEachBackend("password reset and change revoke tokens", (db) => {
  const appId = randomUUID();

  beforeAll(async () => {
    await db.sql.query(
      `INSERT INTO "applications" ("id", "client_id", "display_name", "client_type", "updated_at") VALUES ($1::uuid, 'web', 'Web', 'confidential', now())`,
      [appId],
    );
  }, 60_000);

  async function addUser(): Promise<string> {
    const username = `u${randomBytes(4).toString("hex")}`;
    const created = await createUser(db, { username, email: null, name: "", emailVerified: false, passwordHash: "old-hash" });
    if (created.status !== "created") throw new Error("user not created");
    return created.user.id;
  }

  async function addSession(userId: string): Promise<string> {
    const id = randomUUID();
    await db.sql.query(
      `INSERT INTO "sessions" ("id", "user_id", "auth_time", "expires_at") VALUES ($1::uuid, $2::uuid, now(), now() + interval '1 hour')`,
      [id, userId],
    );
    return id;
  }

  /** What the authorize and token endpoints write for one code flow signed in with `sessionId`. */
  async function addGrant(userId: string, sessionId: string): Promise<Grant> {
    const now = new Date();
    const hour = new Date(now.getTime() + 3600_000);
    const codes = createAuthorizationCodeStore(db);
    const code = randomBytes(16).toString("hex");
    await codes.recordAuthorizationCode({
      valueHash: hashOpaqueValue(code),
      subject: userId,
      applicationId: appId,
      authorizationId: null,
      scopes: ["openid", "offline_access"],
      audiences: [],
      createdAt: now,
      expiresAt: hour,
      binding: { sessionId, authTime: Math.floor(now.getTime() / 1000), amr: ["pwd"] } as AuthorizationCodeBinding,
    });
    const redeemed = await codes.redeemAuthorizationCode(hashOpaqueValue(code), appId, now);
    if (redeemed.status !== "redeemed") throw new Error("code not redeemed");
    const codeId = redeemed.code.id;
    const accessJti = randomUUID();
    await createTokenStore(db).recordIssuedTokens([{ kind: "access_token", jti: accessJti, subject: userId, applicationId: appId, grantId: codeId, scopes: ["openid"], audiences: [], createdAt: now, expiresAt: hour }]);
    const refreshValue = randomBytes(32).toString("base64url");
    const payload: RefreshTokenPayload = { authTime: 0, sessionId, amr: ["pwd"], accessTokenClaims: {}, idTokenClaims: {}, absoluteExpiresAt: hour.getTime() };
    await createTokenStore(db).recordIssuedTokens([{
      kind: "refresh_token",
      valueHash: hashOpaqueValue(refreshValue),
      grantId: codeId,
      subject: userId,
      applicationId: appId,
      authorizationId: null,
      scopes: ["openid", "offline_access"],
      audiences: [],
      expiresAt: hour,
      createdAt: now,
      payload,
    }]);
    return { codeId, accessJti, refreshValue };
  }

  /** What introspection and userinfo ask of the access token, and what the refresh grant answers. */
  async function stateOf(grant: Grant) {
    const access = await createTokenStateStore(db).findAccessTokenByJti(grant.accessJti);
    const rotation = await createRefreshTokenStore(db).rotateRefreshToken(hashOpaqueValue(grant.refreshValue), appId, [], new Date());
    return {
      accessUsable: access !== null && access.status === "valid" && !access.grantRevoked,
      refresh: rotation.status,
    };
  }

  async function activeSessions(userId: string): Promise<string[]> {
    const rows = await db.sql.query<{ id: string }>(`SELECT "id" FROM "sessions" WHERE "user_id" = $1::uuid AND "ended_at" IS NULL ORDER BY "id"`, [userId]);
    return rows.map((row) => row.id);
  }

  it("an admin's reset ends every session and revokes every access and refresh token of the user, and nobody else's", async () => {
    const userId = await addUser();
    const bystander = await addUser();
    const [first, second] = [await addSession(userId), await addSession(userId)];
    const grants = [await addGrant(userId, first), await addGrant(userId, second)];
    const otherGrant = await addGrant(bystander, await addSession(bystander));

    const result = await resetUserPassword(db, { userId, passwordHash: "new-hash" });
    expect(result).toMatchObject({ status: "reset", sessionsEnded: 2 });
    expect(result.status === "reset" && result.tokensRevoked).toBeGreaterThanOrEqual(4);
    expect(await activeSessions(userId)).toEqual([]);
    for (const grant of grants) expect(await stateOf(grant)).toEqual({ accessUsable: false, refresh: "revoked" });
    expect(await stateOf(otherGrant)).toEqual({ accessUsable: true, refresh: "rotated" });
  });

  it("a reset also revokes a refresh token written just after it by a rotation in flight (its grant root is revoked)", async () => {
    const userId = await addUser();
    const grant = await addGrant(userId, await addSession(userId));
    await resetUserPassword(db, { userId, passwordHash: "new-hash" });
    // The rotation that raced the reset writes its successor now, into the same grant.
    const late = randomBytes(32).toString("base64url");
    await createTokenStore(db).recordIssuedTokens([{
      kind: "refresh_token",
      valueHash: hashOpaqueValue(late),
      grantId: grant.codeId,
      subject: userId,
      applicationId: appId,
      authorizationId: null,
      scopes: ["openid"],
      audiences: [],
      expiresAt: new Date(Date.now() + 3600_000),
      createdAt: new Date(),
      payload: { authTime: 0, sessionId: randomUUID(), amr: [], accessTokenClaims: {}, idTokenClaims: {}, absoluteExpiresAt: Date.now() + 3600_000 },
    }]);
    const rotation = await createRefreshTokenStore(db).rotateRefreshToken(hashOpaqueValue(late), appId, [], new Date());
    expect(rotation.status).toBe("revoked");
  });

  it("the user's own change ends the other sessions and revokes their tokens; the current session's tokens stay", async () => {
    const userId = await addUser();
    const current = await addSession(userId);
    const other = await addSession(userId);
    const keptGrant = await addGrant(userId, current);
    const otherGrant = await addGrant(userId, other);

    const changed = await changeAccountPassword(db.sql, userId, "new-hash", current);
    expect(changed?.endedSessions).toBe(1);
    expect(changed?.revokedTokens).toBeGreaterThanOrEqual(2);
    expect(await activeSessions(userId)).toEqual([current]);
    expect(await stateOf(otherGrant)).toEqual({ accessUsable: false, refresh: "revoked" });
    expect(await stateOf(keptGrant)).toEqual({ accessUsable: true, refresh: "rotated" });
  });

  it("a change revokes tokens whose session cannot be told (no grant root and no session recorded)", async () => {
    const userId = await addUser();
    const current = await addSession(userId);
    const jti = randomUUID();
    await createTokenStore(db).recordIssuedTokens([{
      kind: "access_token",
      jti,
      subject: userId,
      applicationId: appId,
      grantId: null,
      scopes: [],
      audiences: [],
      createdAt: new Date(),
      expiresAt: new Date(Date.now() + 3600_000),
    }]);
    await changeAccountPassword(db.sql, userId, "new-hash", current);
    const state = await createTokenStateStore(db).findAccessTokenByJti(jti);
    expect(state?.status).toBe("revoked");
  });

  it("a change for a user that does not exist changes nothing and says so", async () => {
    expect(await changeAccountPassword(db.sql, randomUUID(), "new-hash", randomUUID())).toBeNull();
  });
});
