// What portal sign-in needs from storage, named after the questions it asks.
// lib/db implements these structurally (lib/db/signInStore.ts,
// lib/db/signInThrottleStore.ts) without importing this file: the two layers
// meet only in the composition root (lib/gatehouse.ts), where the compiler
// checks that the implementations fit. Unit tests may use in-memory versions.
import type { SignedInUser } from "../oauth/ports";

/** A user as sign-in sees it: enough to check the password and name the session. */
export interface SignInUser {
  id: string;
  username: string;
  email: string | null;
  name: string;
  /** argon2id hash; null when the account has no password (it cannot sign in with one). */
  passwordHash: string | null;
  enabled: boolean;
}

export interface NewPortalSession {
  userId: string;
  authTime: Date;
  amr: string[];
  ip: string | null;
  userAgent: string | null;
  expiresAt: Date;
}

/** A session row that is still valid, with what the pages show about its user. */
export interface ActivePortalSession {
  sessionId: string;
  userId: string;
  authTime: Date;
  amr: string[];
  expiresAt: Date;
  username: string;
  name: string;
  email: string | null;
  /** The user's portal roles (e.g. "admin"), read with the session so every check is current. */
  roles: string[];
}

export interface SignInEvent {
  kind: "signin.succeeded" | "signin.failed" | "signout";
  userId: string | null;
  ip: string | null;
  /** For failures: why, for operators only (never shown to the user). */
  reason?: string | null;
  at: Date;
}

export interface SignInStore {
  /** The user a sign-in identifier names (exact username, else email address case-insensitively). */
  findUserBySignInIdentifier(identifier: string): Promise<SignInUser | null>;
  /** The user's password hash, for re-checking a signed-in user's password; null without one. */
  readPasswordHash(userId: string): Promise<string | null>;
  /** Inserts a session row and returns its id. */
  createSession(session: NewPortalSession): Promise<string>;
  /** The session if it exists, was not ended, has not expired at `now`, and its user is enabled. */
  findActiveSession(sessionId: string, now: Date): Promise<ActivePortalSession | null>;
  /** The same session with its user's claims and their remembered consent for one client, in one read. */
  findSignedInForClient(sessionId: string, applicationId: string, now: Date): Promise<SignedInUser | null>;
  /** Marks a session ended; an ended session is never valid again. Idempotent. */
  endSession(sessionId: string, now: Date): Promise<void>;
  recordSignInEvent(event: SignInEvent): Promise<void>;
}

/** What the sign-in throttle (lib/auth/throttle.ts) needs from storage. */
export interface ThrottleStore {
  /** Counts one attempt on `key` (a window of `windowSeconds` starts with the first); returns the count, this one included. */
  count(key: string, windowSeconds: number): Promise<number>;
  /** Takes one counted attempt back. */
  uncount(key: string, windowSeconds: number): Promise<void>;
  /** Starts a wait of `seconds` on `key` unless one is running: null when this call started it, else the milliseconds left. */
  claimTurn(key: string, seconds: number): Promise<number | null>;
  /** Ends the wait on `key` (one this attempt started). */
  releaseTurn(key: string): Promise<void>;
  /** Forgets the counter and the wait of `key`. */
  clear(key: string): Promise<void>;
  /** Whether `userId` has signed in successfully from `address` (recently enough to count). */
  isKnownAddress(userId: string, address: string): Promise<boolean>;
  /** Records (or refreshes) `address` as one `userId` signs in from; keeps a bounded number per user. */
  rememberAddress(userId: string, address: string): Promise<void>;
  /** The live counters of `account` (an account part, see accountPart), for administrators. */
  inspectAccount(account: string): Promise<AccountThrottleCounters>;
  /** Forgets every counter and wait of `account`; returns how many were live. */
  clearAccount(account: string): Promise<number>;
}

export interface AccountThrottleCounters {
  /** Failures counted from addresses the account had not signed in from, until when, and their wait. */
  account: { failures: number; countedUntil: Date | null; waitUntil: Date | null } | null;
  /** One entry per address with live failures (known addresses included). */
  pairs: { failures: number; waitUntil: Date | null }[];
}
