// lib/db/tokenRepositories.ts on PGlite and PostgreSQL with the project's
// migrations: the statements behind bearer validation and revocation.
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { createAuthorizationCodeStore, createTokenStore } from "@/lib/db/repositories";
import { createTokenRevocationStore, createTokenStateStore } from "@/lib/db/tokenRepositories";
import type { AuthorizationCodeBinding } from "@/lib/oauth/ports";
import { describeEachBackend } from "../helpers/backends";

const appId: string = randomUUID();
const otherAppId: string = randomUUID();
const USER: string = randomUUID();

describeEachBackend("lib/db/tokenRepositories.ts", (db) => {
  const sql = db.sql;

  beforeAll(async () => {
    for (const [id, clientId] of [[appId, "web-app"], [otherAppId, "other-app"]]) {
      await sql.query(`INSERT INTO "applications" ("id", "client_id", "display_name", "client_type", "updated_at") VALUES ($1, $2, $2, 'confidential', now())`, [id, clientId]);
    }
  }, 60_000);

  const hour = () => new Date(Date.now() + 3600_000);

  async function recordCode(valueHash: string): Promise<string> {
    await createAuthorizationCodeStore(db).recordAuthorizationCode({
      valueHash,
      subject: USER,
      applicationId: appId,
      authorizationId: null,
      scopes: ["openid"],
      audiences: [],
      createdAt: new Date(),
      expiresAt: hour(),
      binding: {} as AuthorizationCodeBinding,
    });
    const [row] = await sql.query<{ id: string }>(`SELECT "id" FROM "tokens" WHERE "value_hash" = $1`, [valueHash]);
    return row!.id;
  }

  async function recordAccess(grantId: string | null, subject = USER): Promise<string> {
    const jti = randomUUID();
    await createTokenStore(db).recordIssuedTokens([{
      kind: "access_token",
      jti,
      subject,
      applicationId: appId,
      grantId,
      scopes: ["openid", "profile"],
      audiences: ["https://id.example.test"],
      createdAt: new Date(),
      expiresAt: hour(),
    }]);
    return jti;
  }

  describe("createTokenStateStore", () => {
    it("finds an access token by jti with its row and a live grant root", async () => {
      const grant = await recordCode(`code-${randomUUID()}`);
      const jti = await recordAccess(grant);
      const state = await createTokenStateStore(db).findAccessTokenByJti(jti);
      expect(state).toMatchObject({
        kind: "access_token",
        subject: USER,
        applicationId: appId,
        grantId: grant,
        authorizationId: null,
        scopes: ["openid", "profile"],
        audiences: ["https://id.example.test"],
        status: "valid",
        grantRevoked: false,
        clientEnabled: true,
      });
      expect(state!.expiresAt).toBeInstanceOf(Date);
    });

    it("reports whether the token's client is still enabled, read in the same statement", async () => {
      const jti = await recordAccess(null, "web-app");
      await sql.query(`UPDATE "applications" SET "enabled" = false WHERE "id" = $1`, [appId]);
      try {
        expect(await createTokenStateStore(db).findAccessTokenByJti(jti)).toMatchObject({ status: "valid", clientEnabled: false });
      } finally {
        await sql.query(`UPDATE "applications" SET "enabled" = true WHERE "id" = $1`, [appId]);
      }
      expect(await createTokenStateStore(db).findAccessTokenByJti(jti)).toMatchObject({ clientEnabled: true });
    });

    it("TK-04: reports the grant root's revocation even while the token's own row still says valid", async () => {
      const grant = await recordCode(`code-${randomUUID()}`);
      const jti = await recordAccess(grant);
      await sql.query(`UPDATE "tokens" SET "status" = 'revoked' WHERE "id" = $1`, [grant]);
      expect(await createTokenStateStore(db).findAccessTokenByJti(jti)).toMatchObject({ status: "valid", grantRevoked: true });
    });

    it("a client_credentials token has no grant and no grant revocation", async () => {
      const jti = await recordAccess(null, "web-app");
      expect(await createTokenStateStore(db).findAccessTokenByJti(jti)).toMatchObject({ grantId: null, grantRevoked: false, subject: "web-app" });
    });

    it("brings the user of a grant's token along, in the same statement; none for a client's own token", async () => {
      const userId = randomUUID();
      await sql.query(
        `INSERT INTO "users" ("id", "username", "email", "email_verified", "name", "enabled", "updated_at") VALUES ($1, $2, 'u@example.test', true, 'Token User', true, now())`,
        [userId, `token-user-${userId}`],
      );
      const grant = await recordCode(`code-${randomUUID()}`);
      const jti = await recordAccess(grant, userId);
      expect((await createTokenStateStore(db).findAccessTokenByJti(jti))?.subjectUser).toMatchObject({
        id: userId,
        username: `token-user-${userId}`,
        email: "u@example.test",
        emailVerified: true,
        name: "Token User",
        enabled: true,
      });
      await sql.query(`UPDATE "users" SET "enabled" = false WHERE "id" = $1`, [userId]);
      expect((await createTokenStateStore(db).findAccessTokenByJti(jti))?.subjectUser).toMatchObject({ id: userId, enabled: false });
      // A grant whose user is gone, and a client's own token whose subject is a client_id.
      expect((await createTokenStateStore(db).findAccessTokenByJti(await recordAccess(grant)))?.subjectUser).toBeNull();
      expect((await createTokenStateStore(db).findAccessTokenByJti(await recordAccess(null, "web-app")))?.subjectUser).toBeNull();
    });

    it("unknown jtis, and jtis PostgreSQL text cannot hold, are null", async () => {
      const store = createTokenStateStore(db);
      expect(await store.findAccessTokenByJti(randomUUID())).toBeNull();
      expect(await store.findAccessTokenByJti("a\u0000b")).toBeNull();
    });

    it("finds an opaque token by value hash, whatever its kind", async () => {
      const hash = `code-${randomUUID()}`;
      const id = await recordCode(hash);
      expect(await createTokenStateStore(db).findTokenByValueHash(hash)).toMatchObject({ id, kind: "authorization_code", grantId: id, applicationId: appId });
      expect(await createTokenStateStore(db).findTokenByValueHash("no-such-hash")).toBeNull();
    });
  });

  describe("createTokenStateStore under concurrency", () => {
    it("concurrent lookups by jti and by value hash share statements; each gets its own row, an unknown one null", async () => {
      let statements = 0;
      const countedQuery = (text: string, params?: unknown[]) => {
        statements += 1;
        return sql.query(text, params);
      };
      const states = createTokenStateStore({ ...db, sql: { query: countedQuery as typeof sql.query } });
      const grant = await recordCode(`code-${randomUUID()}`);
      const jtis = [];
      for (let i = 0; i < 8; i++) jtis.push(await recordAccess(i % 2 ? grant : null, i % 2 ? USER : "web-app"));
      const asked = [...jtis, randomUUID(), jtis[0]!];
      const found = await Promise.all(asked.map((jti) => states.findAccessTokenByJti(jti)));
      expect(statements).toBeGreaterThanOrEqual(1);
      expect(statements).toBeLessThan(asked.length);
      for (const [i, jti] of jtis.entries()) {
        expect(found[i], jti).toMatchObject({ kind: "access_token", grantId: i % 2 ? grant : null, subject: i % 2 ? USER : "web-app" });
      }
      expect(found[jtis.length]).toBeNull();
      expect(found[jtis.length + 1]).toMatchObject({ id: found[0]!.id });

      statements = 0;
      const hashes = [`code-${randomUUID()}`, `code-${randomUUID()}`];
      const ids = [await recordCode(hashes[0]!), await recordCode(hashes[1]!)];
      const byHash = await Promise.all([...hashes, "no-such-hash"].map((hash) => states.findTokenByValueHash(hash)));
      expect(byHash.map((state) => state?.id ?? null)).toEqual([...ids, null]);
      expect(statements).toBeLessThan(3);
    });
  });

  describe("createTokenRevocationStore", () => {
    it("revokes one token: true the first time, false after", async () => {
      const jti = await recordAccess(null, "web-app");
      const state = await createTokenStateStore(db).findAccessTokenByJti(jti);
      const revocations = createTokenRevocationStore(db);
      expect(await revocations.revokeToken(state!.id)).toBe(true);
      expect(await revocations.revokeToken(state!.id)).toBe(false);
      expect((await createTokenStateStore(db).findAccessTokenByJti(jti))!.status).toBe("revoked");
    });

    it("revokes a whole grant: the root and everything issued from it, nothing else", async () => {
      const grant = await recordCode(`code-${randomUUID()}`);
      const first = await recordAccess(grant);
      const second = await recordAccess(grant);
      const unrelated = await recordAccess(null, "web-app");
      expect(await createTokenRevocationStore(db).revokeGrant(grant)).toBe(3);
      const states = createTokenStateStore(db);
      expect((await states.findAccessTokenByJti(first))!.status).toBe("revoked");
      expect((await states.findAccessTokenByJti(second))!.status).toBe("revoked");
      expect((await states.findAccessTokenByJti(unrelated))!.status).toBe("valid");
    });
  });

  describe("createAuthorizationCodeStore", () => {
    it("concurrent codes: each is the root of its own grant and redeems once", async () => {
      const codes = createAuthorizationCodeStore(db);
      const hashes = Array.from({ length: 12 }, (_, i) => `code-${i}-${randomUUID()}`);
      await Promise.all(
        hashes.map((valueHash, i) =>
          codes.recordAuthorizationCode({
            valueHash,
            subject: USER,
            applicationId: appId,
            authorizationId: null,
            scopes: i % 2 ? ["openid"] : ["openid", "profile"],
            audiences: [],
            createdAt: new Date(),
            expiresAt: hour(),
            binding: { codeChallenge: `challenge-${i}` } as AuthorizationCodeBinding,
          }),
        ),
      );
      const now = new Date();
      for (const [i, valueHash] of hashes.entries()) {
        const redemption = await codes.redeemAuthorizationCode(valueHash, appId, now);
        expect(redemption.status).toBe("redeemed");
        if (redemption.status !== "redeemed") continue;
        expect(redemption.code.scopes).toEqual(i % 2 ? ["openid"] : ["openid", "profile"]);
        expect(redemption.code.binding.codeChallenge).toBe(`challenge-${i}`);
        const [row] = await sql.query<{ id: string; grant_id: string }>(`SELECT "id", "grant_id" FROM "tokens" WHERE "value_hash" = $1`, [valueHash]);
        expect(row!.grant_id).toBe(row!.id);
        expect(redemption.code.id).toBe(row!.id);
        expect((await codes.redeemAuthorizationCode(valueHash, appId, now)).status).toBe("replayed");
      }
    });
  });

  describe("createAuthorizationCodeStore.redeemAuthorizationCode, concurrent", () => {
    it("BCP-03: concurrent redemptions: a code redeemed twice at once is redeemed once, the other is a replay", async () => {
      const codes = createAuthorizationCodeStore(db);
      const record = (valueHash: string, applicationId = appId, expiresAt = hour()) =>
        codes.recordAuthorizationCode({
          valueHash,
          subject: USER,
          applicationId,
          authorizationId: null,
          scopes: ["openid"],
          audiences: [],
          createdAt: new Date(),
          expiresAt,
          binding: { codeChallenge: valueHash } as AuthorizationCodeBinding,
        });
      const [first, twice, other, expired] = [0, 1, 2, 3].map((i) => `redeem-${i}-${randomUUID()}`) as [string, string, string, string];
      await record(first);
      await record(twice);
      await record(other);
      await record(expired, appId, new Date(Date.now() - 1000));
      const now = new Date();
      const answers = await Promise.all([
        codes.redeemAuthorizationCode(first, appId, now),
        codes.redeemAuthorizationCode(twice, appId, now),
        codes.redeemAuthorizationCode(twice, appId, now),
        codes.redeemAuthorizationCode(other, otherAppId, now),
        codes.redeemAuthorizationCode(expired, appId, now),
        codes.redeemAuthorizationCode(`unknown-${randomUUID()}`, appId, now),
      ]);
      expect(answers[0]).toMatchObject({ status: "redeemed", code: { binding: { codeChallenge: first } } });
      expect([answers[1]!.status, answers[2]!.status].sort()).toEqual(["redeemed", "replayed"]);
      const winner = answers[1]!.status === "redeemed" ? answers[1]! : answers[2]!;
      expect(winner).toMatchObject({ code: { binding: { codeChallenge: twice } } });
      expect(answers.slice(3).map((answer) => answer.status)).toEqual(["wrong_client", "expired", "unknown"]);
      // What was redeemed stays redeemed: a later try is a replay, and the wrong client's try left the code valid.
      expect((await codes.redeemAuthorizationCode(twice, appId, new Date())).status).toBe("replayed");
      expect((await codes.redeemAuthorizationCode(other, appId, new Date())).status).toBe("redeemed");
    });
  });

  describe("createTokenStore.recordIssuedTokens", () => {
    const refreshRow = (grantId: string, valueHash: string) => ({
      kind: "refresh_token" as const,
      valueHash,
      grantId,
      subject: USER,
      applicationId: appId,
      authorizationId: null,
      scopes: ["openid", "offline_access"],
      audiences: [],
      payload: { authTime: 1, sessionId: "s", amr: ["pwd"], accessTokenClaims: {}, idTokenClaims: { name: "Alice" }, absoluteExpiresAt: Date.now() + 7200_000 },
      createdAt: new Date(),
      expiresAt: hour(),
    });
    const accessRow = (grantId: string | null, jti: string) => ({
      kind: "access_token" as const,
      jti,
      subject: USER,
      applicationId: appId,
      grantId,
      scopes: ["openid"],
      audiences: ["https://id.example.test"],
      createdAt: new Date(),
      expiresAt: hour(),
    });

    it("writes a response's access and refresh token in one statement, the refresh token's payload as JSON", async () => {
      const grant = await recordCode(`code-${randomUUID()}`);
      const jti = randomUUID();
      const refreshHash = `refresh-${randomUUID()}`;
      await createTokenStore(db).recordIssuedTokens([accessRow(grant, jti), refreshRow(grant, refreshHash)]);
      const states = createTokenStateStore(db);
      expect(await states.findAccessTokenByJti(jti)).toMatchObject({ kind: "access_token", grantId: grant, status: "valid", grantRevoked: false });
      expect(await states.findTokenByValueHash(refreshHash)).toMatchObject({ kind: "refresh_token", grantId: grant, status: "valid", scopes: ["openid", "offline_access"] });
      const [row] = await sql.query<{ payload: { idTokenClaims: unknown } }>(`SELECT "payload" FROM "tokens" WHERE "value_hash" = $1`, [refreshHash]);
      expect(row!.payload.idTokenClaims).toEqual({ name: "Alice" });
    });

    it("BCP-03: rows of a grant whose root a replay already revoked are written revoked", async () => {
      const grant = await recordCode(`code-${randomUUID()}`);
      expect(await createTokenRevocationStore(db).revokeGrant(grant)).toBe(1);
      const jti = randomUUID();
      const refreshHash = `refresh-${randomUUID()}`;
      await createTokenStore(db).recordIssuedTokens([accessRow(grant, jti), refreshRow(grant, refreshHash)]);
      const states = createTokenStateStore(db);
      expect(await states.findAccessTokenByJti(jti)).toMatchObject({ status: "revoked", grantRevoked: true });
      expect(await states.findTokenByValueHash(refreshHash)).toMatchObject({ status: "revoked", grantRevoked: true });
    });

    it("BCP-03: concurrent responses share INSERTs (group commit), each row still checked against its own grant root", async () => {
      let statements = 0;
      const countedQuery = (text: string, params?: unknown[]) => {
        statements += 1;
        return sql.query(text, params);
      };
      const counted = { ...db, sql: { query: countedQuery as typeof sql.query } };
      const store = createTokenStore(counted);
      const liveGrant = await recordCode(`code-${randomUUID()}`);
      const revokedGrant = await recordCode(`code-${randomUUID()}`);
      await createTokenRevocationStore(db).revokeGrant(revokedGrant);
      const responses = Array.from({ length: 12 }, (_, i) => {
        const grant = i % 3 === 0 ? null : i % 3 === 1 ? liveGrant : revokedGrant;
        const jti = randomUUID();
        const refreshHash = grant ? `refresh-${randomUUID()}` : null;
        return { grant, jti, refreshHash, rows: [accessRow(grant, jti), ...(grant ? [refreshRow(grant, refreshHash!)] : [])] };
      });
      await Promise.all(responses.map((response) => store.recordIssuedTokens(response.rows)));
      expect(statements).toBeGreaterThanOrEqual(1);
      expect(statements).toBeLessThan(responses.length);
      const states = createTokenStateStore(db);
      for (const { grant, jti, refreshHash } of responses) {
        const expected = grant === revokedGrant ? "revoked" : "valid";
        expect(await states.findAccessTokenByJti(jti)).toMatchObject({ grantId: grant, status: expected });
        if (refreshHash) expect(await states.findTokenByValueHash(refreshHash)).toMatchObject({ grantId: grant, status: expected });
      }
    });

    it("a client's own token (no grant) is written valid", async () => {
      const jti = randomUUID();
      await createTokenStore(db).recordIssuedTokens([{ ...accessRow(null, jti), subject: "web-app" }]);
      expect(await createTokenStateStore(db).findAccessTokenByJti(jti)).toMatchObject({ grantId: null, status: "valid" });
    });
  });
});
