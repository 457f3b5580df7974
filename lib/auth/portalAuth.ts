// End-user sessions of the portal with @auth/core (without next-auth).
//
// Sign-in: the Credentials provider checks the password (argon2id), under the
// sign-in throttle (lib/auth/throttle.ts), and creates a row in "sessions". The session cookie
// is Auth.js's encrypted JWT (JWE) and carries only that row's id (`sid`).
// Every read of the cookie — the jwt callback behind /api/auth/session, and
// readSession for the authorization endpoint and the pages — checks the row:
// it exists, was not ended, has not expired, and its user is still enabled.
// Sign-out ends the row, so a copied cookie stops working at once.
import { Auth, raw, skipCSRFCheck, type AuthConfig } from "@auth/core";
import { CredentialsSignin } from "@auth/core/errors";
import { decode } from "@auth/core/jwt";
import Credentials from "@auth/core/providers/credentials";
import type { EndUserSession } from "../oauth/ports";
import { checkCurrentPassword, type CurrentPasswordCheck } from "./currentPassword";
import { hashPassword, verifyPassword } from "./passwords";
import { CLIENT_ADDRESS_HEADER, normalizeClientAddress } from "./clientAddress";
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

/** authorize's refusal by the throttle: a CredentialsSignin (quiet, passed through by Auth's raw mode) with the wait. */
class SignInThrottled extends CredentialsSignin {
  code = "throttled";
  constructor(readonly retryAfterSeconds: number) {
    super("sign-in throttled");
  }
}

export interface PortalAuth {
  /** Reads and validates the portal session of a Web request (its Cookie header): a SessionReader. */
  readSession: (request: Request) => Promise<PortalSession | null>;
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

interface AuthorizedUser {
  id: string;
  name: string;
  email: string | null;
  sid: string;
}

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

  /** The whole sign-in decision; null means refused (one answer for every reason). */
  async function authorize(credentials: Partial<Record<string, unknown>>, request: Request): Promise<AuthorizedUser | null> {
    const identifier = typeof credentials.username === "string" ? credentials.username.trim() : "";
    const password = typeof credentials.password === "string" ? credentials.password : "";
    const ip = normalizeClientAddress(request.headers.get(CLIENT_ADDRESS_HEADER));
    const userAgent = request.headers.get("user-agent")?.slice(0, 512) ?? null;
    if (!identifier || !password || identifier.length > MAX_IDENTIFIER_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
      return null;
    }
    const user = await store.findUserBySignInIdentifier(identifier);
    // One set of counters per account whichever name it was reached by; unknown names count by themselves.
    const attempt = await throttle.begin({ userId: user?.id ?? null, identifier }, ip);
    if (attempt.refused) {
      await audit("signin.failed", user?.id ?? null, ip, "throttled");
      throw new SignInThrottled(attempt.retryAfterSeconds);
    }
    const usable = user !== null && user.enabled && user.passwordHash !== null;
    let passwordOk = false;
    if (usable) passwordOk = await verifyPassword(user.passwordHash!, password);
    else await dummyVerify(password);

    if (!passwordOk || !user) {
      const reason = !user ? "unknown_user" : !user.enabled ? "disabled" : !user.passwordHash ? "no_password" : "bad_password";
      await audit("signin.failed", user?.id ?? null, ip, reason);
      return null;
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
    return { id: user.id, name: user.username, email: user.email, sid };
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
    providers: [
      Credentials({
        credentials: { username: { label: "Username or email" }, password: { label: "Password", type: "password" } },
        authorize: (credentials, request) => authorize(credentials, request),
      }),
    ],
    callbacks: {
      // The token carries only the session row id; every use re-checks the row.
      async jwt({ token, user, trigger }) {
        if (trigger === "signIn") {
          const sid = (user as Partial<AuthorizedUser> | undefined)?.sid;
          return typeof sid === "string" ? { sid } : null;
        }
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
      // A refused sign-in is an expected outcome (audited as signin.failed): no stack trace.
      error(error: Error) {
        if (error instanceof CredentialsSignin || error.name === "CredentialsSignin") return;
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

  async function readSessionFromCookies(cookies: Readonly<Record<string, string>>): Promise<PortalSession | null> {
    const token = sessionTokenFrom(cookies, sessionCookieName);
    if (!token || token.length > 16_384) return null;
    let payload: Record<string, unknown> | null;
    try {
      payload = await decode({ token, secret: secrets, salt: sessionCookieName });
    } catch {
      return null; // not ours, tampered with, or expired
    }
    return validate(payload?.sid);
  }

  const cookieOptions = { httpOnly: true, sameSite: "lax" as const, path: "/", secure: useSecureCookies };

  return {
    readSession: (request) => readSessionFromCookies(parseCookieHeader(request.headers.get("cookie"))),
    readSessionFromCookies,
    endSession: (sessionId) => store.endSession(sessionId, now()),

    async signInWithPassword(input) {
      const headers = new Headers({ "content-type": "application/x-www-form-urlencoded" });
      if (input.clientAddress) headers.set(CLIENT_ADDRESS_HEADER, input.clientAddress);
      if (input.userAgent) headers.set("user-agent", input.userAgent);
      const request = new Request(`${issuer}${AUTH_BASE_PATH}/callback/credentials`, {
        method: "POST",
        headers,
        body: new URLSearchParams({ username: input.identifier, password: input.password }),
      });
      let result;
      try {
        // `raw`: the cookies come back to the caller (a server action), which
        // sets them; `skipCSRFCheck`: Next.js's own origin check guards server actions.
        result = await Auth(request, { ...config, raw, skipCSRFCheck });
      } catch (error) {
        if (error instanceof SignInThrottled) return { ok: false, retryAfterSeconds: error.retryAfterSeconds };
        if (error instanceof CredentialsSignin) return { ok: false };
        throw error;
      }
      const cookies = (result.cookies ?? []).filter(
        (cookie) => cookie.name === sessionCookieName || cookie.name.startsWith(`${sessionCookieName}.`),
      ) as SessionCookie[];
      const token = sessionTokenFrom(Object.fromEntries(cookies.map((c) => [c.name, c.value])), sessionCookieName);
      const payload = token ? await decode({ token, secret: secrets, salt: sessionCookieName }) : null;
      const session = await validate(payload?.sid);
      if (!session) throw new Error("Sign-in succeeded but produced no valid session cookie.");
      return { ok: true, session, cookies };
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
