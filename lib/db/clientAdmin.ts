// The dashboard's queries on clients ("applications"): list and search, read,
// create, update, enable/disable, delete, replace the secret hashes. Each is
// one statement, or one transaction where a change depends on the row as it
// is. Nothing is cached: the protocol core reads the client on every request
// (createClientStore), so a change here applies to the very next one.
import type { ClientRecord, ClientType, ConsentType } from "../oauth/ports";
import type { Database } from "./client";
import { toClientRecord } from "./repositories";
import { lockScopesByName } from "./scopeAdmin";

export const CLIENT_PAGE_SIZE = 20;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ClientSummary {
  id: string;
  clientId: string;
  displayName: string;
  clientType: ClientType;
  consentType: ConsentType;
  enabled: boolean;
}

export interface ClientListPage {
  clients: ClientSummary[];
  hasNext: boolean;
}

/** `text` inside an ILIKE pattern, with its own % _ \ matching literally. */
function likeContaining(text: string): string {
  return `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

/** One page of clients by display name, optionally those whose client_id or display name contains `search`. */
export async function listClients(
  db: Pick<Database, "sql">,
  options: { search?: string; page?: number; pageSize?: number } = {},
): Promise<ClientListPage> {
  const pageSize = options.pageSize ?? CLIENT_PAGE_SIZE;
  const page = Math.max(1, options.page ?? 1);
  const search = options.search?.trim().replace(/\u0000/g, "") ?? "";
  const rows = await db.sql.query<{
    id: string;
    client_id: string;
    display_name: string;
    client_type: string;
    consent_type: string;
    enabled: boolean;
  }>(
    `SELECT "id", "client_id", "display_name", "client_type", "consent_type", "enabled"
       FROM "applications"
      WHERE $1::text = '' OR "client_id" ILIKE $2 ESCAPE '\\' OR "display_name" ILIKE $2 ESCAPE '\\'
      ORDER BY lower("display_name"), "client_id"
      LIMIT $3 OFFSET $4`,
    [search, likeContaining(search), pageSize + 1, (page - 1) * pageSize],
  );
  return {
    clients: rows.slice(0, pageSize).map((row) => ({
      id: row.id,
      clientId: row.client_id,
      displayName: row.display_name,
      clientType: row.client_type === "public" ? "public" : "confidential",
      consentType: row.consent_type as ConsentType,
      enabled: row.enabled,
    })),
    hasNext: rows.length > pageSize,
  };
}

/** A client by its database id (the dashboard's [id] segment); null for an unknown or malformed id. */
export async function findClientByApplicationId(db: Pick<Database, "sql">, id: string): Promise<ClientRecord | null> {
  if (!UUID.test(id)) return null;
  const rows = await db.sql.query<Parameters<typeof toClientRecord>[0]>(`SELECT * FROM "applications" WHERE "id" = $1::uuid`, [id]);
  return rows[0] ? toClientRecord(rows[0]) : null;
}

/** Everything the dashboard sets on a client: the record without its ids and its enabled flag (set on its own). */
export type ClientChange = Omit<ClientRecord, "id" | "clientId" | "enabled" | "managementApi">;

export interface NewClient extends ClientChange {
  clientId: string;
}

/** The columns of ClientChange, in the order of changeParameters. */
const CHANGE_COLUMNS = [
  ["display_name", "text"],
  ["client_type", "text"],
  ["consent_type", "text"],
  ["client_secret_hashes", "text[]"],
  ["redirect_uris", "text[]"],
  ["post_logout_redirect_uris", "text[]"],
  ["permissions", "text[]"],
  ["requirements", "text[]"],
  ["access_token_lifetime", "int"],
  ["authorization_code_lifetime", "int"],
  ["id_token_lifetime", "int"],
  ["refresh_token_lifetime", "int"],
  ["refresh_token_absolute_lifetime", "int"],
  ["access_token_signing_alg", "text"],
  ["id_token_signing_alg", "text"],
] as const;

function changeParameters(change: ClientChange): unknown[] {
  return [
    change.displayName,
    change.clientType,
    change.consentType,
    change.clientSecretHashes,
    change.redirectUris,
    change.postLogoutRedirectUris,
    change.permissions,
    change.requirements,
    change.accessTokenLifetime,
    change.authorizationCodeLifetime,
    change.idTokenLifetime,
    change.refreshTokenLifetime,
    change.refreshTokenAbsoluteLifetime,
    change.accessTokenSigningAlg,
    change.idTokenSigningAlg,
  ];
}

/** A save named scopes that do not exist (or were deleted while the form was open); nothing was written. */
export class UnknownScopesError extends Error {
  constructor(readonly scopes: string[]) {
    super(`No such scope: ${scopes.join(", ")}`);
    this.name = "UnknownScopesError";
  }
}

/**
 * Locks the scopes a client's permissions name until the transaction ends, so
 * a concurrent scope delete (lib/db/scopeAdmin.ts) either waits and then sees
 * this client, or has already committed and makes this save fail.
 */
async function lockPermittedScopes(tx: Parameters<typeof lockScopesByName>[0], permissions: readonly string[]): Promise<void> {
  const names = permissions.filter((permission) => permission.startsWith("scp:")).map((permission) => permission.slice(4));
  const missing = await lockScopesByName(tx, names);
  if (missing.length > 0) throw new UnknownScopesError(missing);
}

export type InsertClientResult = { status: "created"; client: ClientRecord } | { status: "client_id_taken" };

/** Creates a client; throws UnknownScopesError (writing nothing) when a permitted scope does not exist. */
export async function insertClient(db: Pick<Database, "prisma">, client: NewClient): Promise<InsertClientResult> {
  const columns = CHANGE_COLUMNS.map(([name]) => `"${name}"`).join(", ");
  const values = CHANGE_COLUMNS.map(([, type], index) => `$${index + 2}::${type}`).join(", ");
  return db.prisma.$transaction(async (tx) => {
    await lockPermittedScopes(tx, client.permissions);
    // ON CONFLICT rather than catching the error: raw queries in a Prisma transaction do not carry the SQLSTATE.
    const rows = await tx.$queryRawUnsafe<Parameters<typeof toClientRecord>[0][]>(
      `INSERT INTO "applications" ("id", "client_id", ${columns}, "enabled", "created_at", "updated_at")
       VALUES (gen_random_uuid(), $1, ${values}, true, now(), now())
       ON CONFLICT ("client_id") DO NOTHING
       RETURNING *`,
      client.clientId,
      ...changeParameters(client),
    );
    return rows[0] ? { status: "created" as const, client: toClientRecord(rows[0]) } : { status: "client_id_taken" as const };
  });
}

export interface ClientUpdate {
  before: ClientRecord;
  after: ClientRecord;
}

/**
 * Updates a client in one transaction: the row is locked and read, `decide`
 * computes the change from it (kept permissions, secrets on a change of type),
 * and the change is written. Null when there is no such client; throws
 * UnknownScopesError (writing nothing) when a permitted scope does not exist.
 */
export async function updateClient(
  db: Pick<Database, "prisma">,
  id: string,
  decide: (current: ClientRecord) => ClientChange,
): Promise<ClientUpdate | null> {
  if (!UUID.test(id)) return null;
  type Row = Parameters<typeof toClientRecord>[0];
  return db.prisma.$transaction(async (tx) => {
    const current = await tx.$queryRawUnsafe<Row[]>(`SELECT * FROM "applications" WHERE "id" = $1::uuid FOR UPDATE`, id);
    if (!current[0]) return null;
    const before = toClientRecord(current[0]);
    const change = decide(before);
    await lockPermittedScopes(tx, change.permissions);
    const assignments = CHANGE_COLUMNS.map(([name, type], index) => `"${name}" = $${index + 2}::${type}`).join(", ");
    const updated = await tx.$queryRawUnsafe<Row[]>(
      // A public client cannot authenticate for client_credentials: its management API mark goes with its secret.
      `UPDATE "applications" SET ${assignments}, "management_api" = "management_api" AND $${CHANGE_COLUMNS.length + 2}::text = 'confidential',
              "updated_at" = now() WHERE "id" = $1::uuid RETURNING *`,
      id,
      ...changeParameters(change),
      change.clientType,
    );
    return { before, after: toClientRecord(updated[0]!) };
  });
}

/** The client_id of the client whose flag was set, or null when there is no such client. */
export async function setClientEnabled(db: Pick<Database, "sql">, id: string, enabled: boolean): Promise<{ clientId: string } | null> {
  if (!UUID.test(id)) return null;
  const rows = await db.sql.query<{ client_id: string }>(
    `UPDATE "applications" SET "enabled" = $2, "updated_at" = now() WHERE "id" = $1::uuid RETURNING "client_id"`,
    [id, enabled],
  );
  return rows[0] ? { clientId: rows[0].client_id } : null;
}

/**
 * Marks a confidential client for the management API (or unmarks it); null when there is no such
 * confidential client. Making a client public clears the mark (updateClient), so a public client never has it.
 */
export async function setClientManagementApi(db: Pick<Database, "sql">, id: string, allowed: boolean): Promise<{ clientId: string } | null> {
  if (!UUID.test(id)) return null;
  const rows = await db.sql.query<{ client_id: string }>(
    `UPDATE "applications" SET "management_api" = $2, "updated_at" = now()
      WHERE "id" = $1::uuid AND ("client_type" = 'confidential' OR NOT $2) RETURNING "client_id"`,
    [id, allowed],
  );
  return rows[0] ? { clientId: rows[0].client_id } : null;
}

export interface DeletedClient {
  clientId: string;
  /** Consents and tokens that went with it (ON DELETE CASCADE). */
  authorizations: number;
  tokens: number;
}

/**
 * Deletes a client in one statement: its authorizations and tokens follow by
 * the schema's ON DELETE CASCADE, its pending sign-in interactions (no foreign
 * key) are deleted alongside. The counts are read from the same snapshot.
 */
export async function deleteClient(db: Pick<Database, "sql">, id: string): Promise<DeletedClient | null> {
  if (!UUID.test(id)) return null;
  const rows = await db.sql.query<{ client_id: string; authorizations: string | number; tokens: string | number }>(
    `WITH "counts" AS (
       SELECT (SELECT count(*) FROM "authorizations" WHERE "application_id" = $1::uuid) AS "authorizations",
              (SELECT count(*) FROM "tokens" WHERE "application_id" = $1::uuid) AS "tokens"
     ), "pending" AS (
       DELETE FROM "interactions" WHERE "application_id" = $1::uuid
     ), "gone" AS (
       DELETE FROM "applications" WHERE "id" = $1::uuid RETURNING "client_id"
     )
     SELECT "gone"."client_id", "counts"."authorizations", "counts"."tokens" FROM "gone", "counts"`,
    [id],
  );
  const row = rows[0];
  return row ? { clientId: row.client_id, authorizations: Number(row.authorizations), tokens: Number(row.tokens) } : null;
}

/**
 * Replaces a confidential client's secret hashes (rotation: the old secret
 * stops working with this statement). Null when there is no such
 * confidential client.
 */
export async function replaceClientSecretHashes(db: Pick<Database, "sql">, id: string, hashes: string[]): Promise<{ clientId: string } | null> {
  if (!UUID.test(id)) return null;
  const rows = await db.sql.query<{ client_id: string }>(
    `UPDATE "applications" SET "client_secret_hashes" = $2::text[], "updated_at" = now()
      WHERE "id" = $1::uuid AND "client_type" = 'confidential' RETURNING "client_id"`,
    [id, hashes],
  );
  return rows[0] ? { clientId: rows[0].client_id } : null;
}

export interface ScopeChoice {
  name: string;
  displayName: string;
  description: string;
}

/** The scopes a client can be permitted, for the form's checkboxes. */
export async function listScopeChoices(db: Pick<Database, "sql">): Promise<ScopeChoice[]> {
  const rows = await db.sql.query<{ name: string; display_name: string; description: string }>(
    `SELECT "name", "display_name", "description" FROM "scopes" ORDER BY "name"`,
  );
  return rows.map((row) => ({ name: row.name, displayName: row.display_name, description: row.description }));
}
