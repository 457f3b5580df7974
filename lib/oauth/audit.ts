// What the protocol core writes to the audit log, in one place: the kinds it
// records, and the dependency every recording endpoint shares. Events carry
// identifiers and outcomes only — never secrets, codes, verifiers or token
// values (the log is read by operators and kept for a long time).
import type { AuditEventInput, AuditLog } from "./ports";

/** Kinds recorded by the protocol core and the portal (admin.* and account.* kinds are free-form). */
export const AuditKinds = {
  signInSucceeded: "signin.succeeded",
  signInFailed: "signin.failed",
  signOut: "signout",
  consentGranted: "consent.granted",
  consentDenied: "consent.denied",
  consentWithdrawn: "consent.withdrawn",
  tokenIssued: "token.issued",
  tokenRefused: "token.refused",
  tokenRevoked: "token.revoked",
  tokenReuseDetected: "token.reuse_detected",
} as const;

export type AuditKind = (typeof AuditKinds)[keyof typeof AuditKinds];

/** The client's network address as the server saw it (lib/auth/clientAddress.ts stamps it). */
export type ClientAddressReader = (request: Request) => string | null;

/** What an endpoint that records audit events needs. */
export interface AuditDeps {
  audit: AuditLog;
  /** Without it events carry no address (e.g. in unit tests). */
  clientAddress?: ClientAddressReader;
}

export function requestAddress(deps: AuditDeps, request: Request): string | null {
  return deps.clientAddress?.(request) ?? null;
}

/** Longest free text (a presented grant type, an error description) kept in details. */
const MAX_DETAIL_TEXT = 200;

export function clipDetail(text: string): string {
  return text.length > MAX_DETAIL_TEXT ? `${text.slice(0, MAX_DETAIL_TEXT - 1)}…` : text;
}

/** A refresh token or code presented a second time: the whole grant was revoked (RFC 9700 §4.14.2, §4.2.4). */
export function reuseDetectedEvent(input: {
  clientId: string;
  userId: string;
  grantId: string;
  token: "refresh_token" | "authorization_code";
  revoked: number;
  ip: string | null;
}): AuditEventInput {
  return {
    kind: AuditKinds.tokenReuseDetected,
    clientId: input.clientId,
    userId: input.userId,
    ip: input.ip,
    reason: `${input.token}_reused`,
    details: { grant_id: input.grantId, token: input.token, revoked: input.revoked },
  };
}
