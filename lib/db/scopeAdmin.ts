// The dashboard's queries for scopes: list, read, create, update, delete.
// Deleting checks that no client holds the permission "scp:<name>" in the
// same transaction that deletes, with the scope row locked first.
import { Permissions } from "../oauth/permissions";
import type { Database } from "./client";
import { isUniqueViolation } from "./errors";
import { isUuid } from "./sessions";
import { STANDARD_SCOPES } from "./standardScopes";

const STANDARD_SCOPE_NAMES: ReadonlySet<string> = new Set(STANDARD_SCOPES.map((scope) => scope.name));

/** openid, profile, email, offline_access: defined by OpenID Connect, relied on by every client library. */
export function isStandardScope(name: string): boolean {
  return STANDARD_SCOPE_NAMES.has(name);
}

export interface AdminScope {
  id: string;
  name: string;
  displayName: string;
  description: string;
  resources: string[];
  claims: string[];
  accessTokenClaims: string[];
  standard: boolean;
  updatedAt: Date;
}

export interface ScopeUser {
  clientId: string;
  displayName: string;
}

export interface AdminScopeListing extends AdminScope {
  /** How many clients hold the permission for this scope. */
  clientCount: number;
}

export interface ScopeWrite {
  displayName: string;
  description: string;
  resources: string[];
  claims: string[];
  accessTokenClaims: string[];
}

function toAdminScope(row: {
  id: string;
  name: string;
  displayName: string;
  description: string;
  resources: string[];
  claims: string[];
  accessTokenClaims: string[];
  updatedAt: Date;
}): AdminScope {
  return {
    id: row.id,
    name: row.name,
    displayName: row.displayName,
    description: row.description,
    resources: row.resources,
    claims: row.claims,
    accessTokenClaims: row.accessTokenClaims,
    standard: isStandardScope(row.name),
    updatedAt: row.updatedAt,
  };
}

const CLIENTS_HOLDING_SCOPE = `SELECT "client_id" AS "clientId", "display_name" AS "displayName" FROM "applications"
  WHERE $1 = ANY("permissions") ORDER BY "display_name", "client_id"`;

/** Every scope with the number of clients allowed to request it, standard scopes first. */
export async function listScopesForAdmin(db: Database): Promise<AdminScopeListing[]> {
  const [scopes, counts] = await Promise.all([
    db.prisma.scope.findMany({ orderBy: { name: "asc" } }),
    db.sql.query<{ name: string; clients: string | number }>(
      `SELECT s."name", count(a."id") AS "clients" FROM "scopes" s
         LEFT JOIN "applications" a ON ('scp:' || s."name") = ANY(a."permissions")
        GROUP BY s."name"`,
    ),
  ]);
  const clientsByName = new Map(counts.map((row) => [row.name, Number(row.clients)]));
  return scopes
    .map((scope) => ({ ...toAdminScope(scope), clientCount: clientsByName.get(scope.name) ?? 0 }))
    .sort((a, b) => Number(b.standard) - Number(a.standard) || a.name.localeCompare(b.name));
}

/** One scope and the clients that hold its permission, or null. */
export async function findScopeForAdmin(db: Database, id: string): Promise<{ scope: AdminScope; clients: ScopeUser[] } | null> {
  if (!isUuid(id)) return null;
  const row = await db.prisma.scope.findUnique({ where: { id } });
  if (!row) return null;
  const clients = await db.sql.query<ScopeUser>(CLIENTS_HOLDING_SCOPE, [Permissions.scope(row.name)]);
  return { scope: toAdminScope(row), clients };
}

export type CreateScopeResult = { status: "created"; scope: AdminScope } | { status: "name_taken" };

export async function createScope(db: Database, input: ScopeWrite & { name: string }): Promise<CreateScopeResult> {
  try {
    const row = await db.prisma.scope.create({ data: { ...input } });
    return { status: "created", scope: toAdminScope(row) };
  } catch (error) {
    if (isUniqueViolation(error)) return { status: "name_taken" };
    throw error;
  }
}

export type UpdateScopeResult =
  | { status: "updated"; scope: AdminScope; previous: AdminScope }
  | { status: "not_found" }
  /** A standard scope's claims and resources are fixed by OpenID Connect Core §5.4. */
  | { status: "standard_fixed" };

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().every((value, index) => value === [...b].sort()[index]);
}

/**
 * Changes a scope's texts, audiences and claims. For the standard scopes only
 * the texts and the access-token destinations may change: their released
 * claims and (absent) resources are what OpenID Connect clients expect.
 */
export async function updateScope(db: Database, id: string, input: ScopeWrite): Promise<UpdateScopeResult> {
  if (!isUuid(id)) return { status: "not_found" };
  return db.prisma.$transaction(async (tx) => {
    const previous = await tx.scope.findUnique({ where: { id } });
    if (!previous) return { status: "not_found" } as const;
    if (isStandardScope(previous.name) && (!sameList(previous.claims, input.claims) || !sameList(previous.resources, input.resources))) {
      return { status: "standard_fixed" } as const;
    }
    const row = await tx.scope.update({ where: { id }, data: { ...input } });
    return { status: "updated", scope: toAdminScope(row), previous: toAdminScope(previous) } as const;
  });
}

export type DeleteScopeResult =
  | { status: "deleted"; scope: AdminScope }
  | { status: "not_found" }
  | { status: "standard" }
  | { status: "in_use"; name: string; clients: ScopeUser[] };

/**
 * Deletes a scope unless a client holds its permission. One transaction: the
 * scope row is locked (FOR UPDATE) before the clients are read, so a client
 * save that locks the scopes it grants (lockScopesByName) either finishes
 * first — and is seen here — or waits and then finds the scope gone.
 */
export async function deleteScope(db: Database, id: string): Promise<DeleteScopeResult> {
  if (!isUuid(id)) return { status: "not_found" };
  return db.prisma.$transaction(async (tx) => {
    const locked = await tx.$queryRawUnsafe<{ name: string }[]>(`SELECT "name" FROM "scopes" WHERE "id" = $1::uuid FOR UPDATE`, id);
    const name = locked[0]?.name;
    if (name === undefined) return { status: "not_found" } as const;
    if (isStandardScope(name)) return { status: "standard" } as const;
    const clients = await tx.$queryRawUnsafe<ScopeUser[]>(CLIENTS_HOLDING_SCOPE, Permissions.scope(name));
    if (clients.length) return { status: "in_use", name, clients } as const;
    const row = await tx.scope.delete({ where: { id } });
    return { status: "deleted", scope: toAdminScope(row) } as const;
  });
}

/**
 * For a transaction that grants clients scope permissions: locks the named
 * scopes against deletion until it commits (FOR KEY SHARE, so concurrent
 * grants do not wait for each other) and returns the names that do not exist.
 */
export async function lockScopesByName(
  tx: Pick<Database["prisma"], "$queryRawUnsafe">,
  names: readonly string[],
): Promise<string[]> {
  if (names.length === 0) return [];
  const rows = await tx.$queryRawUnsafe<{ name: string }[]>(
    `SELECT "name" FROM "scopes" WHERE "name" = ANY($1::text[]) FOR KEY SHARE`,
    [...names],
  );
  const found = new Set(rows.map((row) => row.name));
  return names.filter((name) => !found.has(name));
}
