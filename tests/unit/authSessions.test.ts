// Portal sessions end to end without a server: the password sign-in, the
// session row, the cookie (compared with the one @auth/core's own Credentials
// callback writes) and readSession, on PGlite and PostgreSQL with the project's migrations.
import { randomUUID } from "node:crypto";
import { Auth, raw, skipCSRFCheck } from "@auth/core";
import { decode, encode } from "@auth/core/jwt";
import Credentials from "@auth/core/providers/credentials";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { hashPassword } from "@/lib/auth/passwords";
import { createPortalAuth, parseCookieHeader, SESSION_LIFETIME_SECONDS, type PortalAuth, type SessionCookie } from "@/lib/auth/portalAuth";
import { SignInThrottle } from "@/lib/auth/throttle";
import { createSignInStore } from "@/lib/db/signInStore";
import { createSignInThrottleStore } from "@/lib/db/signInThrottleStore";
import { describeEachBackend } from "../helpers/backends";

const ISSUER = "http://localhost:3999";
const SECRET = "unit-test-session-secret-0123456789abcdef";
type LogFn = (...args: unknown[]) => void;

describeEachBackend("portal sessions", (db) => {
  const sql = db.sql;
  let clock: Date;
  let log: { error: ReturnType<typeof vi.fn<LogFn>>; warn: ReturnType<typeof vi.fn<LogFn>> };
  let auth: PortalAuth;
  let throttle: SignInThrottle;
  const users: Record<string, string> = {};

  async function addUser(username: string, options: { email?: string; password?: string | null; enabled?: boolean } = {}) {
    const id = randomUUID();
    const hash = options.password === null ? null : await hashPassword(options.password ?? `${username}-password`);
    await sql.query(
      `INSERT INTO "users" ("id", "username", "email", "name", "password_hash", "enabled", "updated_at") VALUES ($1, $2, $3, $4, $5, $6, now())`,
      [id, username, options.email ?? null, `${username} Example`, hash, options.enabled ?? true],
    );
    users[username] = id;
    return id;
  }

  function cookieHeader(cookies: SessionCookie[]): string {
    return cookies.map((c) => `${c.name}=${c.value}`).join("; ");
  }

  function signIn(identifier: string, password: string, clientAddress: string | null = "192.0.2.10") {
    return auth.signInWithPassword({ identifier, password, clientAddress, userAgent: "vitest" });
  }

  async function signedInCookies(identifier = "alice", password = "alice-password") {
    const result = await signIn(identifier, password);
    if (!result.ok) throw new Error("sign-in failed");
    return result;
  }

  function request(pathname: string, init: RequestInit & { cookie?: string } = {}) {
    const headers = new Headers(init.headers);
    if (init.cookie) headers.set("cookie", init.cookie);
    return new Request(ISSUER + pathname, { ...init, headers });
  }

  beforeAll(async () => {
    throttle = new SignInThrottle(createSignInThrottleStore(sql, { addressKey: "unit-test", purgeExpired: false }));
    await addUser("alice", { email: "alice@example.com" });
    await addUser("bob", { email: "Bob@Example.com" });
    await addUser("carol", { enabled: false });
    await addUser("dave", { password: null });
    await addUser("erin");
  }, 60_000);
  beforeEach(async () => {
    clock = new Date();
    log = { error: vi.fn<LogFn>(), warn: vi.fn<LogFn>() };
    auth = createPortalAuth({ store: createSignInStore(sql), issuer: ISSUER, secret: SECRET, now: () => clock, log, throttle });
    await sql.query(`DELETE FROM "sign_in_limits"`);
    await sql.query(`DELETE FROM "known_sign_in_addresses"`);
    await sql.query(`UPDATE "users" SET "enabled" = ("username" <> 'carol')`);
  });

  describe("signInWithPassword", () => {
    it("signs in with the username and creates a session row that the cookie names", async () => {
      const result = await signedInCookies();
      expect(result.session).toMatchObject({ userId: users.alice, username: "alice", amr: ["pwd"] });
      expect(result.session.authTime.getTime()).toBe(clock.getTime());
      expect(result.session.expiresAt.getTime() - clock.getTime()).toBe(SESSION_LIFETIME_SECONDS * 1000);
      const [row] = await sql.query<Record<string, unknown>>(`SELECT * FROM "sessions" WHERE "id" = $1`, [result.session.sessionId]);
      expect(row).toMatchObject({ user_id: users.alice, amr: ["pwd"], ip: "192.0.2.10", user_agent: "vitest", ended_at: null });

      expect(result.cookies).toHaveLength(1);
      const [cookie] = result.cookies;
      expect(cookie!.name).toBe("authjs.session-token");
      expect(cookie!.options).toMatchObject({ httpOnly: true, sameSite: "lax", path: "/", secure: false });
      expect(cookie!.value.split(".")).toHaveLength(5); // a JWE, not readable by the browser
      expect(log.error).not.toHaveBeenCalled();
    });

    it("signs in with the email address, case-insensitively", async () => {
      expect((await signIn("ALICE@example.com", "alice-password")).ok).toBe(true);
      expect((await signIn("bob@example.COM", "bob-password")).ok).toBe(true);
    });

    it("refuses a wrong password, an unknown user, a disabled user and a user without a password alike, quietly", async () => {
      for (const [identifier, password] of [
        ["alice", "wrong"],
        ["nobody", "alice-password"],
        ["carol", "carol-password"],
        ["dave", "dave-password"],
        ["Alice", "alice-password"], // usernames are exact
      ] as const) {
        expect(await signIn(identifier, password)).toEqual({ ok: false });
      }
      expect(log.error).not.toHaveBeenCalled();
      const events = await sql.query<{ kind: string; reason: string }>(
        `SELECT "kind", "reason" FROM "audit_events" WHERE "kind" = 'signin.failed' ORDER BY "at" DESC LIMIT 5`,
      );
      expect(events.map((e) => e.reason).sort()).toEqual(["bad_password", "disabled", "no_password", "unknown_user", "unknown_user"]);
    });

    it("spends an argon2 verification on unknown users too (similar timing)", async () => {
      // The fastest of several tries, the two kinds interleaved: other test files share the cores, and a pause
      // only ever adds time. Without the dummy verification an unknown user costs under a tenth of a known one.
      const once = async (identifier: string) => {
        await sql.query(`DELETE FROM "sign_in_limits"`);
        const started = performance.now();
        await signIn(identifier, "not-the-password");
        return performance.now() - started;
      };
      await once("nobody"); // warm the dummy hash
      const unknown: number[] = [];
      const wrong: number[] = [];
      for (let i = 0; i < 8; i++) {
        unknown.push(await once("nobody-at-all"));
        wrong.push(await once("erin"));
      }
      expect(Math.min(...unknown)).toBeGreaterThan(Math.min(...wrong) * 0.3);
    });

    it("throttles the account across its username and email: after five failures the next attempt is refused at once, with the wait", async () => {
      expect((await signIn("erin", "erin-password", "198.51.100.4")).ok).toBe(true); // erin's usual address
      for (let i = 0; i < 3; i++) expect(await signIn("erin", "wrong")).toEqual({ ok: false });
      await addUserEmail("erin", "erin@example.com");
      for (let i = 0; i < 2; i++) expect(await signIn("erin@example.com", "wrong")).toEqual({ ok: false });
      // Refused before the password is checked, so the answer is the same for the right one and says nothing about it.
      expect(await signIn("erin", "erin-password")).toEqual({ ok: false, retryAfterSeconds: 2 });
      expect(await signIn("erin", "wrong")).toEqual({ ok: false, retryAfterSeconds: 2 });
      const throttled = await sql.query(`SELECT 1 FROM "audit_events" WHERE "kind" = 'signin.failed' AND "reason" = 'throttled' AND "user_id" = $1`, [users.erin]);
      expect(throttled).toHaveLength(2);
      // Her usual address is judged by its own counter: she signs in at once.
      expect((await signIn("erin", "erin-password", "198.51.100.4")).ok).toBe(true);
      expect(log.error).not.toHaveBeenCalled();
    });

    it("writes the session cookie exactly as @auth/core's Credentials callback would: same name, attributes, lifetime and claims", async () => {
      const { cookies, session } = await signedInCookies();
      const [ours] = cookies;
      const payload = await decode({ token: ours!.value, secret: SECRET, salt: "authjs.session-token" });
      expect(payload).toMatchObject({ sid: session.sessionId });
      // Auth.js itself, driven through its credentials callback with a provider that names the same row.
      const reference = await Auth(
        new Request(`${ISSUER}/api/auth/callback/credentials`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ username: "alice" }),
        }),
        {
          ...auth.config,
          providers: [Credentials({ authorize: () => ({ id: session.userId }) })],
          callbacks: { ...auth.config.callbacks, jwt: () => ({ sid: session.sessionId }) },
          raw,
          skipCSRFCheck,
        },
      );
      const theirs = reference.cookies?.find((cookie) => cookie.name === "authjs.session-token");
      const theirPayload = await decode({ token: theirs!.value, secret: SECRET, salt: "authjs.session-token" });
      expect(Object.keys(payload!).sort()).toEqual(Object.keys(theirPayload!).sort());
      expect(payload!.sid).toBe(theirPayload!.sid);
      expect(payload!.exp! - payload!.iat!).toBe(theirPayload!.exp! - theirPayload!.iat!);
      expect(payload!.exp! - payload!.iat!).toBe(SESSION_LIFETIME_SECONDS);
      const { expires: ourExpiry, ...ourAttributes } = ours!.options;
      const { expires: theirExpiry, ...theirAttributes } = theirs!.options;
      expect(ourAttributes).toEqual(theirAttributes);
      expect(Math.abs(ourExpiry!.getTime() - theirExpiry!.getTime())).toBeLessThan(5_000);
    });

    it("uses __Secure- cookies on an https issuer", async () => {
      const secure = createPortalAuth({ store: createSignInStore(sql), issuer: "https://id.example.test", secret: SECRET, log, throttle });
      const result = await secure.signInWithPassword({ identifier: "alice", password: "alice-password", clientAddress: null, userAgent: null });
      expect(result.ok && result.cookies[0]).toMatchObject({ name: "__Secure-authjs.session-token", options: { secure: true, httpOnly: true } });
      expect(secure.sessionCookieName).toBe("__Secure-authjs.session-token");
    });
  });

  async function addUserEmail(username: string, email: string) {
    await sql.query(`UPDATE "users" SET "email" = $2 WHERE "username" = $1`, [username, email]);
  }

  describe("readSignedIn (the authorization endpoint's one read)", () => {
    async function addApplication(): Promise<string> {
      const id = randomUUID();
      await sql.query(
        `INSERT INTO "applications" ("id", "client_id", "display_name", "client_type", "updated_at") VALUES ($1, $2, 'Signed-in test app', 'public', now())`,
        [id, `signed-in-${id}`],
      );
      return id;
    }
    async function addAuthorization(applicationId: string, scopes: string[], options: { status?: string; type?: string; createdAt?: Date } = {}) {
      const id = randomUUID();
      await sql.query(
        `INSERT INTO "authorizations" ("id", "application_id", "user_id", "scopes", "status", "type", "created_at", "updated_at")
         VALUES ($1, $2, $3, $4::text[], $5, $6, $7::timestamptz, now())`,
        [id, applicationId, users.alice, scopes, options.status ?? "valid", options.type ?? "permanent", (options.createdAt ?? new Date()).toISOString()],
      );
      return id;
    }

    it("reads the session, the user's claims and no remembered consent for a client never authorized", async () => {
      const { cookies, session } = await signedInCookies();
      const applicationId = await addApplication();
      const signedIn = await auth.readSignedIn(request("/connect/authorize", { cookie: cookieHeader(cookies) }), applicationId);
      expect(signedIn).toEqual({
        session: { sessionId: session.sessionId, userId: users.alice, authTime: session.authTime, amr: ["pwd"] },
        user: expect.objectContaining({ id: users.alice, username: "alice", email: "alice@example.com", emailVerified: false, enabled: true }),
        remembered: null,
      });
      expect(signedIn!.user.updatedAt).toBeInstanceOf(Date);
    });

    it("carries the newest valid permanent authorization of that client only", async () => {
      const { cookies } = await signedInCookies();
      const applicationId = await addApplication();
      const otherApplicationId = await addApplication();
      await addAuthorization(applicationId, ["openid"], { createdAt: new Date(Date.now() - 60_000) });
      const newest = await addAuthorization(applicationId, ["openid", "profile"]);
      await addAuthorization(applicationId, ["openid", "email"], { status: "revoked", createdAt: new Date(Date.now() + 1_000) });
      await addAuthorization(applicationId, ["openid", "api"], { type: "ad-hoc", createdAt: new Date(Date.now() + 2_000) });
      await addAuthorization(otherApplicationId, ["api"], { createdAt: new Date(Date.now() + 3_000) });
      const signedIn = await auth.readSignedIn(request("/", { cookie: cookieHeader(cookies) }), applicationId);
      expect(signedIn?.remembered).toEqual({ id: newest, applicationId, userId: users.alice, scopes: ["openid", "profile"], type: "permanent" });
    });

    it("is null without a valid cookie, once the session ended or expired, or with the user disabled", async () => {
      const applicationId = await addApplication();
      expect(await auth.readSignedIn(request("/"), applicationId)).toBeNull();
      const first = await signedInCookies();
      await auth.endSession(first.session.sessionId);
      expect(await auth.readSignedIn(request("/", { cookie: cookieHeader(first.cookies) }), applicationId)).toBeNull();

      const second = await signedInCookies();
      clock = new Date(clock.getTime() + SESSION_LIFETIME_SECONDS * 1000);
      expect(await auth.readSignedIn(request("/", { cookie: cookieHeader(second.cookies) }), applicationId)).toBeNull();
      clock = new Date();

      const third = await signedInCookies();
      expect(await auth.readSignedIn(request("/", { cookie: cookieHeader(third.cookies) }), applicationId)).not.toBeNull();
      await sql.query(`UPDATE "users" SET "enabled" = false WHERE "username" = 'alice'`);
      expect(await auth.readSignedIn(request("/", { cookie: cookieHeader(third.cookies) }), applicationId)).toBeNull();
    });
  });

  describe("readSession", () => {
    it("reads the session from a request's Cookie header", async () => {
      const { cookies, session } = await signedInCookies();
      const read = await auth.readSession(request("/connect/authorize", { cookie: `other=1; ${cookieHeader(cookies)}` }));
      expect(read).toEqual(session);
    });

    it("is null without a cookie, with a tampered one, or one sealed with another secret", async () => {
      const { cookies } = await signedInCookies();
      expect(await auth.readSession(request("/"))).toBeNull();
      const value = cookies[0]!.value;
      const tampered = value.slice(0, -3) + (value.endsWith("AAA") ? "BBB" : "AAA");
      expect(await auth.readSession(request("/", { cookie: `authjs.session-token=${tampered}` }))).toBeNull();
      const foreign = await encode({ token: { sid: "00000000-0000-4000-8000-000000000000" }, secret: "another-secret-entirely-000000000", salt: "authjs.session-token" });
      expect(await auth.readSession(request("/", { cookie: `authjs.session-token=${foreign}` }))).toBeNull();
    });

    it("is null once the session is ended, expired, or its user disabled", async () => {
      const first = await signedInCookies();
      await auth.endSession(first.session.sessionId);
      expect(await auth.readSession(request("/", { cookie: cookieHeader(first.cookies) }))).toBeNull();

      const second = await signedInCookies();
      clock = new Date(clock.getTime() + SESSION_LIFETIME_SECONDS * 1000);
      expect(await auth.readSession(request("/", { cookie: cookieHeader(second.cookies) }))).toBeNull();
      clock = new Date();

      const third = await signedInCookies();
      await sql.query(`UPDATE "users" SET "enabled" = false WHERE "username" = 'alice'`);
      expect(await auth.readSession(request("/", { cookie: cookieHeader(third.cookies) }))).toBeNull();
    });

    it("accepts a session cookie written in chunks", async () => {
      const { cookies, session } = await signedInCookies();
      const value = cookies[0]!.value;
      const chunked = `authjs.session-token.0=${value.slice(0, 100)}; authjs.session-token.1=${value.slice(100)}`;
      expect(await auth.readSession(request("/", { cookie: chunked }))).toEqual(session);
    });

    it("parses Cookie headers leniently", () => {
      expect(parseCookieHeader('a=1; b="two"; c=%41; bad; a=3')).toEqual({ a: "1", b: "two", c: "A" });
      expect(parseCookieHeader(null)).toEqual({});
    });
  });

  describe("the /api/auth endpoints", () => {
    it("GET session shows the username while the row is valid, and clears the cookie once it is not", async () => {
      const { cookies, session } = await signedInCookies();
      const ok = await auth.handle(request("/api/auth/session", { cookie: cookieHeader(cookies) }));
      expect(ok.status).toBe(200);
      const body = await ok.json();
      expect(body.user).toEqual({ name: "alice" });
      expect(JSON.stringify(body)).not.toContain(session.sessionId);

      await auth.endSession(session.sessionId);
      const ended = await auth.handle(request("/api/auth/session", { cookie: cookieHeader(cookies) }));
      expect(await ended.json()).toBeNull();
      expect(ended.headers.get("set-cookie")).toMatch(/authjs\.session-token=;.*Max-Age=0|authjs\.session-token=;.*Expires=Thu, 01 Jan 1970/i);
    });

    it("POST signout (with the CSRF token) ends the session row", async () => {
      const { cookies, session } = await signedInCookies();
      const csrf = await auth.handle(request("/api/auth/csrf", { cookie: cookieHeader(cookies) }));
      const { csrfToken } = await csrf.json();
      const csrfCookie = csrf.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
      const signout = await auth.handle(
        request("/api/auth/signout", {
          method: "POST",
          cookie: `${cookieHeader(cookies)}; ${csrfCookie}`,
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ csrfToken, callbackUrl: "/" }),
        }),
      );
      expect(signout.status).toBe(302);
      const [row] = await sql.query<{ ended_at: Date | null }>(`SELECT "ended_at" FROM "sessions" WHERE "id" = $1`, [session.sessionId]);
      expect(row!.ended_at).not.toBeNull();
      expect(await auth.readSession(request("/", { cookie: cookieHeader(cookies) }))).toBeNull();
    });

    it("offers no other sign-in route: GET signin goes to /login, the credentials callback is not found", async () => {
      const signin = await auth.handle(request("/api/auth/signin"));
      expect(signin.status).toBe(303);
      expect(signin.headers.get("location")).toBe("/login");
      const callback = await auth.handle(
        request("/api/auth/callback/credentials", {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: "username=alice&password=alice-password",
        }),
      );
      expect(callback.status).toBe(404);
      expect(callback.headers.get("set-cookie")).toBeNull();
    });
  });
});
