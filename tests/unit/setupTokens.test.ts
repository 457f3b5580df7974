// Issue #10 item 1: the one-time setup link that creates the first
// administrator. Only the hash is stored; it expires; it is consumed by one
// statement, so a second use, a concurrent use, or a use after an
// administrator exists fails. On PGlite and PostgreSQL.
import { beforeEach, expect, it } from "vitest";
import { hasEnabledAdministrator, isSetupTokenUsable, issueSetupToken, SETUP_TOKEN_LIFETIME_SECONDS } from "@/lib/db/setupTokens";
import { createAdministrator, createUser, type UserProfile } from "@/lib/db/userAdmin";
import { hashOpaqueValue } from "@/lib/oauth/secrets";
import { describeEachBackend } from "../helpers/backends";

const profile = (username: string): UserProfile => ({ username, email: `${username}@example.com`, name: "", emailVerified: false });

describeEachBackend("setup links", (db) => {
  beforeEach(async () => {
    await db.sql.query(`DELETE FROM "setup_tokens"`);
    await db.sql.query(`DELETE FROM "users"`);
  });

  async function issue(now?: Date): Promise<string> {
    const issued = await issueSetupToken(db.sql, now);
    if (!issued) throw new Error("no token issued");
    return issued.token;
  }

  it("stores only the SHA-256 of a 256-bit token, valid for an hour", async () => {
    const now = new Date();
    const issued = await issueSetupToken(db.sql, now);
    expect(issued?.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(issued?.expiresAt.getTime()).toBe(now.getTime() + SETUP_TOKEN_LIFETIME_SECONDS * 1000);
    const rows = await db.sql.query<{ token_hash: string }>(`SELECT "token_hash" FROM "setup_tokens"`);
    expect(rows).toEqual([{ token_hash: hashOpaqueValue(issued!.token) }]);
  });

  it("is not issued once an enabled administrator exists", async () => {
    await createAdministrator(db, { ...profile("boss"), passwordHash: "h", setupToken: null });
    expect(await hasEnabledAdministrator(db.sql)).toBe(true);
    expect(await issueSetupToken(db.sql)).toBeNull();
  });

  it("creates the administrator once; a second use of the link fails", async () => {
    const token = await issue();
    expect(await isSetupTokenUsable(db.sql, token)).toBe(true);
    const first = await createAdministrator(db, { ...profile("first"), passwordHash: "h", setupToken: token });
    expect(first.status).toBe("created");
    expect(first.status === "created" && first.user.roles).toEqual(["admin"]);
    expect(await isSetupTokenUsable(db.sql, token)).toBe(false);
    const second = await createAdministrator(db, { ...profile("second"), passwordHash: "h", setupToken: token });
    expect(second).toEqual({ status: "invalid_setup_token" });
    const users = await db.sql.query<{ username: string }>(`SELECT "username" FROM "users" ORDER BY 1`);
    expect(users).toEqual([{ username: "first" }]);
  });

  it("of concurrent uses of one link, or of two links, exactly one creates an administrator", async () => {
    const token = await issue();
    const otherToken = await issue();
    const results = await Promise.all([
      createAdministrator(db, { ...profile("racer1"), passwordHash: "h", setupToken: token }),
      createAdministrator(db, { ...profile("racer2"), passwordHash: "h", setupToken: token }),
      createAdministrator(db, { ...profile("racer3"), passwordHash: "h", setupToken: otherToken }),
    ]);
    expect(results.filter((result) => result.status === "created")).toHaveLength(1);
    const admins = await db.sql.query(`SELECT 1 FROM "users" WHERE 'admin' = ANY("roles")`);
    expect(admins).toHaveLength(1);
  });

  it("refuses an expired link, an unknown one, and a malformed one", async () => {
    const expired = await issue(new Date(Date.now() - (SETUP_TOKEN_LIFETIME_SECONDS + 60) * 1000));
    expect(await isSetupTokenUsable(db.sql, expired)).toBe(false);
    expect((await createAdministrator(db, { ...profile("late"), passwordHash: "h", setupToken: expired })).status).toBe("invalid_setup_token");
    const unknown = "A".repeat(43);
    expect((await createAdministrator(db, { ...profile("guess"), passwordHash: "h", setupToken: unknown })).status).toBe("invalid_setup_token");
    expect((await createAdministrator(db, { ...profile("odd"), passwordHash: "h", setupToken: "x' OR 1=1 --" })).status).toBe("invalid_setup_token");
    expect(await hasEnabledAdministrator(db.sql)).toBe(false);
  });

  it("a taken username rolls back: the link stays usable", async () => {
    await createUser(db, { ...profile("taken"), passwordHash: "h" });
    const token = await issue();
    const refused = await createAdministrator(db, { ...profile("taken"), email: null, passwordHash: "h", setupToken: token });
    expect(refused).toEqual({ status: "conflict", field: "username" });
    expect(await isSetupTokenUsable(db.sql, token)).toBe(true);
    expect((await createAdministrator(db, { ...profile("fresh"), passwordHash: "h", setupToken: token })).status).toBe("created");
  });

  it("an administrator made with the CLI closes every open link", async () => {
    const token = await issue();
    expect((await createAdministrator(db, { ...profile("cli"), passwordHash: "h", setupToken: null })).status).toBe("created");
    expect(await isSetupTokenUsable(db.sql, token)).toBe(false);
    expect((await createAdministrator(db, { ...profile("after"), passwordHash: "h", setupToken: token })).status).toBe("invalid_setup_token");
  });
});
