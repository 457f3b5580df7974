// End-user sessions of the portal with @auth/core (without next-auth).
//
// Sign-in (signInWithPassword, the /login action's only way in) checks the
// password (argon2id) under the sign-in throttle (lib/auth/throttle.ts) and
// creates a row in "sessions". The session cookie is Auth.js's encrypted JWT
// (JWE, @auth/core/jwt's encode) and carries only that row's id (`sid`): the
// cookie Auth.js's own credentials callback would set, written directly, so
// no request is faked and no cookie decoded just after it was made.
// Every read of the cookie — the jwt callback behind /api/auth/session, and
// readSession for the authorization endpoint and the pages — checks the row:
// it exists, was not ended, has not expired, and its user is still enabled.
// Sign-out ends the row, so a copied cookie stops working at once.
import { Auth, type AuthConfig } from "@auth/core";
import { decode, encode } from "@auth/core/jwt";
import type { EndUserSession, SignedInReader } from "../oauth/ports";
import { checkCurrentPassword, type CurrentPasswordCheck } from "./currentPassword";
import { DecodedCookieCache } from "./decodedCookies";
import { hashPassword, verifyPassword } from "./passwords";
import { normalizeClientAddress } from "./clientAddress";
import type { ActivePortalSession, SignInStore } from "./ports";
import { MAX_IDENTIFIER_LENGTH, MAX_PASSWORD_LENGTH } from "./signInForm";
import type { SignInThrottle } from "./throttle";

export const AUTH_BASE_PATH = "/api/auth";
/** Absolute lifetime of a portal session: a new sign-in is needed 12 hours after the last one. */
export const SESSION_LIFETIME_SECONDS = 12 * 60 * 60;
export const SIGN_IN_PATH = "/login";
export const SIGN_OUT_PATH = "/logout";

/** A valid portal session, with what the pages show about its user. */
export interface PortalSession extends EndUserSession {
  expiresAt: Date;
  username: string;
  name: string;
  email: string | null;
  roles: string[];
}

/** A cookie to set on the response, as @auth/core describes it. */
export interface SessionCookie {
  name: string;
  value: string;
  options: {
    httpOnly?: boolean;
    sameSite?: "lax" | "strict" | "none" | boolean;
    path?: string;
    secure?: boolean;
    expires?: Date;
    maxAge?: number;
    domain?: string;
  };
}

export interface PasswordSignIn {
  /** Username or email address, as typed. */
  identifier: string;
  password: string;
  /** The client's address (server.ts sets it); null when unknown. */
  clientAddress: string | null;
  userAgent: string | null;
}

export type PasswordSignInResult =
  | { ok: true; session: PortalSession; cookies: SessionCookie[] }
  /** Refused; `retryAfterSeconds` when the throttle refused it before the password was checked. */
  | { ok: false; retryAfterSeconds?: number };

export interface PortalAuth {
  /** Reads and validates the portal session of a Web request (its Cookie header): a SessionReader. */
  readSession: (request: Request) => Promise<PortalSession | null>;
  /** The signed-in user of a Web request for one client, with their remembered consent: the authorization endpoint's SignedInReader. */
  readSignedIn: SignedInReader;
  /** The same, from already parsed cookies (name → value), for pages and server actions. */
  readSessionFromCookies(cookies: Readonly<Record<string, string>>): Promise<PortalSession | null>;
  /** Ends a session row; the cookie that names it is no longer accepted anywhere. Idempotent. */
  endSession(sessionId: string): Promise<void>;
  /** Checks a password under the throttle; on success, the new session and the cookies to set. */
  signInWithPassword(input: PasswordSignIn): Promise<PasswordSignInResult>;
  /** Re-checks a signed-in user's password before a sensitive change, under the same throttle. */
  checkCurrentPassword(user: { userId: string; username: string }, password: string, clientAddress: string | null): Promise<CurrentPasswordCheck>;
  /** @auth/core's own endpoints under /api/auth (session, csrf, signout). */
  handle(request: Request): Promise<Response>;
  /** Name of the session cookie (`__Secure-` prefixed on https). */
  sessionCookieName: string;
  /** Cookies that clear the session (the cookie and any chunks of it present in `present`). */
  clearingCookies(present: Iterable<string>): SessionCookie[];
  config: AuthConfig;
}

export interface PortalAuthOptions {
  /** Users, session rows and sign-in audit events (lib/db/signInStore.ts). */
  store: SignInStore;
  issuer: string;
  /** Secret for the session JWE (an array allows rotation: the first one encrypts). */
  secret: string | string[];
  /** The sign-in throttle (lib/auth/throttle.ts), shared with /account's password check. */
  throttle: SignInThrottle;
  now?: () => Date;
  /** Where log lines go; tests pass a spy. */
  log?: Pick<Console, "error" | "warn">;
}

/** authorize's answer: the new session row, or a refusal (with the wait when the throttle refused). */
type SignInDecision = { ok: true; sessionId: string } | { ok: false; retryAfterSeconds?: number };

const sessionCookieBaseName = "authjs.session-token";

function toPortalSession(row: ActivePortalSession): PortalSession {
  return {
    sessionId: row.sessionId,
    userId: row.userId,
    authTime: row.authTime,
    amr: row.amr,
    expiresAt: row.expiresAt,
    username: row.username,
    name: row.name,
    email: row.email,
    roles: row.roles,
  };
}

/** Minimal Cookie header parser (RFC 6265 §5.4 shape); the first value of a name wins. */
export function parseCookieHeader(header: string | null): Record<string, string> {
  const cookies: Record<string, string> = {};
  if (!header) return cookies;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!name || name in cookies) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      cookies[name] = decodeURIComponent(value);
    } catch {
      cookies[name] = value;
    }
  }
  return cookies;
}

/** The session token from the cookie, or from its chunks (name.0, name.1, …) as @auth/core writes long ones. */
function sessionTokenFrom(cookies: Readonly<Record<string, string>>, name: string): string | undefined {
  const whole = cookies[name];
  if (whole) return whole;
  const chunks: string[] = [];
  for (let i = 0; ; i++) {
    const chunk = cookies[`${name}.${i}`];
    if (chunk === undefined) break;
    chunks.push(chunk);
  }
  return chunks.length ? chunks.join("") : undefined;
}

export function createPortalAuth(options: PortalAuthOptions): PortalAuth {
  const { store, issuer } = options;
  const now = options.now ?? (() => new Date());
  const log = options.log ?? console;
  const useSecureCookies = issuer.startsWith("https:");
  const sessionCookieName = `${useSecureCookies ? "__Secure-" : ""}${sessionCookieBaseName}`;
  const secrets = Array.isArray(options.secret) ? options.secret : [options.secret];
  const { throttle } = options;

  // Unknown users, disabled users and users without a password still cost one
  // argon2 verification, so the answer's timing does not tell them apart.
  // Throttled attempts cost none: they are refused before any password check.
  let dummyHash: Promise<string> | undefined;
  const dummyVerify = async (password: string) => {
    dummyHash ??= hashPassword(`gatehouse-dummy-${crypto.randomUUID()}`);
    await verifyPassword(await dummyHash, password);
  };

  const audit = (kind: "signin.succeeded" | "signin.failed" | "signout", userId: string | null, ip: string | null, reason?: string) =>
    store.recordSignInEvent({ kind, userId, ip, reason, at: now() }).catch((error: unknown) =>
      log.error(`[gatehouse] could not record ${kind}: ${error instanceof Error ? error.message : String(error)}`),
    );

  async function validate(sessionId: unknown): Promise<PortalSession | null> {
    if (typeof sessionId !== "string") return null;
    const row = await store.findActiveSession(sessionId, now());
    return row ? toPortalSession(row) : null;
  }

  /** The whole sign-in decision: one refusal for every reason but the throttle's, which says how long to wait. */
  async function authorize(input: PasswordSignIn): Promise<SignInDecision> {
    const identifier = input.identifier.trim();
    const { password } = input;
    const ip = normalizeClientAddress(input.clientAddress);
    const userAgent = input.userAgent ? input.userAgent.slice(0, 512) : null;
    if (!identifier || !password || identifier.length > MAX_IDENTIFIER_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
      return { ok: false };
    }
    const user = await store.findUserBySignInIdentifier(identifier);
    // One set of counters per account whichever name it was reached by; unknown names count by themselves.
    const attempt = await throttle.begin({ userId: user?.id ?? null, identifier }, ip);
    if (attempt.refused) {
      await audit("signin.failed", user?.id ?? null, ip, "throttled");
      return { ok: false, retryAfterSeconds: attempt.retryAfterSeconds };
    }
    const usable = user !== null && user.enabled && user.passwordHash !== null;
    let passwordOk = false;
    if (usable) passwordOk = await verifyPassword(user.passwordHash!, password);
    else await dummyVerify(password);

    if (!passwordOk || !user) {
      const reason = !user ? "unknown_user" : !user.enabled ? "disabled" : !user.passwordHash ? "no_password" : "bad_password";
      await audit("signin.failed", user?.id ?? null, ip, reason);
      return { ok: false };
    }
    await attempt.succeeded();
    const authTime = now();
    const sid = await store.createSession({
      userId: user.id,
      authTime,
      amr: ["pwd"],
      ip,
      userAgent,
      expiresAt: new Date(authTime.getTime() + SESSION_LIFETIME_SECONDS * 1000),
    });
    await audit("signin.succeeded", user.id, ip);
    return { ok: true, sessionId: sid };
  }

  // Sessions validated by the jwt callback, for the session callback of the same request.
  const validated = new WeakMap<object, PortalSession>();

  const config: AuthConfig = {
    basePath: AUTH_BASE_PATH,
    trustHost: true,
    secret: secrets,
    useSecureCookies,
    session: { strategy: "jwt", maxAge: SESSION_LIFETIME_SECONDS },
    pages: { signIn: SIGN_IN_PATH, signOut: SIGN_OUT_PATH, error: SIGN_IN_PATH },
    // None: Auth.js serves only session, csrf and signout here; signing in is signInWithPassword.
    providers: [],
    callbacks: {
      // The token carries only the session row id; every use re-checks the row.
      async jwt({ token }) {
        const session = await validate(token.sid);
        if (!session) return null;
        const next = { sid: session.sessionId };
        validated.set(next, session);
        return next;
      },
      // What GET /api/auth/session shows the browser: the username, nothing more.
      async session({ session, token }) {
        const portal = validated.get(token);
        return { expires: session.expires, user: { name: portal?.username ?? null } } as typeof session;
      },
    },
    events: {
      async signOut(message) {
        const sid = "token" in message ? message.token?.sid : undefined;
        if (typeof sid === "string") {
          const session = await validate(sid);
          await store.endSession(sid, now());
          if (session) await audit("signout", session.userId, null);
        }
      },
    },
    logger: {
      error(error: Error) {
        if (error.name === "JWTSessionError") {
          log.warn(`[auth] unreadable session cookie ignored (${(error.cause as Error | undefined)?.message ?? error.message})`);
          return;
        }
        log.error(`[auth] ${error.name}: ${error.message}`, error.cause ?? "");
      },
      warn(code: string) {
        log.warn(`[auth] warning: ${code}`);
      },
      debug() {},
    },
  };

  // Auth.js's decode derives its key on every call, and a browser repeats one cookie.
  const decodedCookies = new DecodedCookieCache();
  const decodeCookie = (token: string) => decode({ token, secret: secrets, salt: sessionCookieName });

  /** The session row id the cookies name, when their session cookie is ours, intact and unexpired. */
  async function sessionIdFrom(cookies: Readonly<Record<string, string>>): Promise<string | null> {
    const token = sessionTokenFrom(cookies, sessionCookieName);
    if (!token || token.length > 16_384) return null;
    let payload: Record<string, unknown> | null;
    try {
      payload = await decodedCookies.decode(token, decodeCookie);
    } catch {
      return null; // not ours, tampered with, or expired
    }
    return typeof payload?.sid === "string" ? payload.sid : null;
  }

  async function readSessionFromCookies(cookies: Readonly<Record<string, string>>): Promise<PortalSession | null> {
    return validate(await sessionIdFrom(cookies));
  }

  // Auth.js's own session cookie attributes (its defaults for useSecureCookies; the config sets no others).
  const cookieOptions = { httpOnly: true, sameSite: "lax" as const, path: "/", secure: useSecureCookies };

  /**
   * The session cookie naming `sessionId`, as Auth.js's JWT strategy writes it: the JWE of
   * { sid } (plus iat, exp, jti) under the first secret, salted with the cookie name, and
   * expiring with it. Both expiries follow the real clock, as encode's `exp` does. The
   * value is a few hundred bytes, far below the size at which Auth.js would chunk it.
   */
  async function sessionCookie(sessionId: string): Promise<SessionCookie> {
    const value = await encode({ token: { sid: sessionId }, secret: secrets, salt: sessionCookieName, maxAge: SESSION_LIFETIME_SECONDS });
    return { name: sessionCookieName, value, options: { ...cookieOptions, expires: new Date(Date.now() + SESSION_LIFETIME_SECONDS * 1000) } };
  }

  return {
    readSession: (request) => readSessionFromCookies(parseCookieHeader(request.headers.get("cookie"))),
    async readSignedIn(request, applicationId) {
      const sessionId = await sessionIdFrom(parseCookieHeader(request.headers.get("cookie")));
      return sessionId === null ? null : store.findSignedInForClient(sessionId, applicationId, now());
    },
    readSessionFromCookies,
    endSession: (sessionId) => store.endSession(sessionId, now()),

    async signInWithPassword(input) {
      const decision = await authorize(input);
      if (!decision.ok) return decision;
      const session = await validate(decision.sessionId);
      if (!session) throw new Error("Sign-in succeeded but its session row is not valid.");
      return { ok: true, session, cookies: [await sessionCookie(decision.sessionId)] };
    },

    checkCurrentPassword: (user, password, clientAddress) => checkCurrentPassword(store, throttle, user, password, clientAddress),

    async handle(request) {
      const action = new URL(request.url).pathname.slice(AUTH_BASE_PATH.length + 1).split("/")[0];
      // Sign-in happens on /login only (throttled, one generic answer, 303).
      if (action === "signin" && request.method === "GET") {
        return new Response(null, { status: 303, headers: { Location: SIGN_IN_PATH, "Cache-Control": "no-store" } });
      }
      if (action !== "session" && action !== "csrf" && action !== "signout") {
        return Response.json({ error: "not_found" }, { status: 404, headers: { "Cache-Control": "no-store" } });
      }
      return Auth(request, config);
    },

    sessionCookieName,
    clearingCookies(present) {
      const names = new Set([sessionCookieName]);
      for (const name of present) if (name.startsWith(`${sessionCookieName}.`)) names.add(name);
      return [...names].map((name) => ({ name, value: "", options: { ...cookieOptions, maxAge: 0, expires: new Date(0) } }));
    },
    config,
  };
}
