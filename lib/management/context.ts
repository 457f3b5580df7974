// What every management operation gets, whoever calls it: the dashboard's
// server actions (an admin's session; lib/next/guards.ts) and the management
// API (a marked client's token; ./api.ts). The operations are the same
// functions for both, so a rule or an audit entry cannot differ between them.
import type { Database } from "../db/client";
import type { AuditEventInput } from "../oauth/ports";
import type { SigningAlgorithm } from "../oauth/ports";
import type { KeyRotationReport } from "../oauth/signingKeys";

export interface OperationContext {
  db: Database;
  /**
   * Who acts, as the audit log's actor column names them: a user id (the dashboard) or
   * "client:<client_id>" (the API). The rules that stop an administrator locking themself out compare it.
   */
  actorId: string;
  /** Records an audit event with this actor and the request's address. */
  audit(event: Omit<AuditEventInput, "actor" | "ip">): Promise<void>;
  /** Rotates signing keys inside the running server (lib/gatehouse.ts). */
  rotateSigningKeys(algs?: readonly SigningAlgorithm[]): Promise<KeyRotationReport & { longestLifetime: number }>;
}

/** The audit actor of a client calling the API (never a uuid, so never taken for a user id). */
export function clientActor(clientId: string): string {
  return `client:${clientId}`;
}
