// Portal sign-in's storage (the SignInStore port of lib/auth/ports.ts,
// implemented structurally: lib/db does not import lib/auth; lib/gatehouse.ts
// hands this store to createPortalAuth, and the compiler checks the fit there).
import { readPasswordHash } from "./account";
import type { AuditWebhookOutbox } from "./audit";
import type { SqlExecutor } from "./client";
import {
  createSessionRow,
  endSessionRow,
  findActiveSession,
  findSignedInForClient,
  findUserBySignInIdentifier,
  recordSignInEvent,
  type NewSessionRow,
  type SignInAuditEvent,
} from "./sessions";

export function createSignInStore(sql: SqlExecutor, webhooks?: AuditWebhookOutbox | null) {
  return {
    findUserBySignInIdentifier: (identifier: string) => findUserBySignInIdentifier(sql, identifier),
    readPasswordHash: (userId: string) => readPasswordHash(sql, userId),
    createSession: (session: NewSessionRow) => createSessionRow(sql, session),
    findActiveSession: (sessionId: string, now: Date) => findActiveSession(sql, sessionId, now),
    findSignedInForClient: (sessionId: string, applicationId: string, now: Date) => findSignedInForClient(sql, sessionId, applicationId, now),
    endSession: (sessionId: string, now: Date) => endSessionRow(sql, sessionId, now),
    recordSignInEvent: (event: SignInAuditEvent) => recordSignInEvent(sql, event, webhooks),
  };
}
