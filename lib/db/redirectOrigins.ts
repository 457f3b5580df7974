// What a CORS preflight asks (lib/oauth/cors.ts): the redirect URIs of every
// enabled client, read in one statement when the per-process origin set is
// (re)loaded, never per request.
import type { RedirectUriSource } from "../oauth/cors";
import type { Database } from "./client";

export function createRedirectUriSource(db: Database): RedirectUriSource {
  return {
    async listEnabledRedirectUris() {
      const rows = await db.sql.query<{ uri: string }>(
        `SELECT DISTINCT unnest("redirect_uris") AS "uri" FROM "applications" WHERE "enabled"`,
      );
      return rows.map((row) => row.uri);
    },
  };
}
