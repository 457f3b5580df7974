// Registers an extra client (confidential with a secret, public without one)
// straight into a store's "applications" table, the way lib/db/seed.ts creates the demo postman client (same
// permission strings, same secret hash), for relying parties whose redirect
// URIs the demo clients do not have. Call it BEFORE the server starts: on
// PGlite only one process may hold the data directory.
import { randomUUID } from "node:crypto";
import { Permissions, Requirements } from "../../lib/oauth/permissions";
import { hashClientSecret } from "../../lib/oauth/secrets";
import { queryStore } from "./processes";
import type { TestStore } from "./server";

export interface RelyingPartyClient {
  clientId: string;
  /** Absent for a public client (a native app or SPA). */
  secret?: string;
  displayName: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  scopes: string[];
}

export async function registerClient(store: TestStore, client: RelyingPartyClient): Promise<void> {
  const permissions = [
    Permissions.endpoint.authorization,
    Permissions.endpoint.token,
    Permissions.endpoint.logout,
    Permissions.endpoint.revocation,
    Permissions.grantType("authorization_code"),
    Permissions.grantType("refresh_token"),
    Permissions.responseType("code"),
    ...client.scopes.map(Permissions.scope),
  ];
  await queryStore(
    store,
    `INSERT INTO "applications"
       ("id", "client_id", "display_name", "client_type", "consent_type", "client_secret_hashes",
        "redirect_uris", "post_logout_redirect_uris", "permissions", "requirements", "updated_at")
     VALUES ($1::uuid, $2, $3, $9, 'explicit', $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], now())`,
    [
      randomUUID(),
      client.clientId,
      client.displayName,
      client.secret === undefined ? [] : [hashClientSecret(client.secret)],
      client.redirectUris,
      client.postLogoutRedirectUris,
      permissions,
      [Requirements.pkce],
      client.secret === undefined ? "public" : "confidential",
    ],
  );
  const rows = await queryStore<{ client_id: string; redirect_uris: string[] }>(
    store,
    `SELECT "client_id", "redirect_uris" FROM "applications" WHERE "client_id" = $1`,
    [client.clientId],
  );
  if (rows.length !== 1 || JSON.stringify(rows[0]!.redirect_uris) !== JSON.stringify(client.redirectUris)) {
    throw new Error(`the client ${client.clientId} was not stored as expected: ${JSON.stringify(rows)}`);
  }
}
