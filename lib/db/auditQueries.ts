// Reading the audit log for the dashboard: newest first, filters combined with
// AND, every value a bound parameter. Each filter has an index to use:
// (user_id, at), (client_id, at), (kind, at), or (at) alone.
import type { SqlExecutor } from "./client";

export interface AuditEventFilter {
  /** Events about this user (the user_id column). */
  userId?: string;
  clientId?: string;
  /** Exactly this kind. */
  kind?: string;
  /** Kinds starting with this text (e.g. "admin."). */
  kindPrefix?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  /** Only events up to this moment (inclusive): pins the rows while the user pages. */
  asOf?: Date;
}

export interface AuditEventRow {
  id: string;
  at: Date;
  kind: string;
  actor: string | null;
  /** The actor's username when the actor is the id of an existing user. */
  actorUsername: string | null;
  userId: string | null;
  username: string | null;
  clientId: string | null;
  ip: string | null;
  reason: string | null;
  details: Record<string, unknown> | null;
  /** The X-Request-Id of the request that recorded it, to find its log line. */
  requestId: string | null;
}

export interface AuditEventPage {
  rows: AuditEventRow[];
  /** Whether at least one more row follows this page. */
  hasMore: boolean;
}

/** LIKE treats % and _ as wildcards (and \ as the escape): a prefix must match them literally. */
function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
}

const UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

/**
 * One page of events, newest first (ties broken by id, so the order is total).
 * Offset paging: the page is for people reading a few pages at a time, its
 * filters narrow by index, and `asOf` keeps the pages still while new events arrive.
 */
export async function findAuditEvents(
  sql: SqlExecutor,
  filter: AuditEventFilter,
  page: { limit: number; offset: number },
): Promise<AuditEventPage> {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const bind = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filter.userId !== undefined) conditions.push(`e."user_id" = ${bind(filter.userId)}`);
  if (filter.clientId !== undefined) conditions.push(`e."client_id" = ${bind(filter.clientId)}`);
  if (filter.kind !== undefined) conditions.push(`e."kind" = ${bind(filter.kind)}`);
  if (filter.kindPrefix !== undefined) conditions.push(`e."kind" LIKE ${bind(likePrefix(filter.kindPrefix))}`);
  if (filter.from !== undefined) conditions.push(`e."at" >= ${bind(filter.from.toISOString())}::timestamptz`);
  if (filter.to !== undefined) conditions.push(`e."at" < ${bind(filter.to.toISOString())}::timestamptz`);
  if (filter.asOf !== undefined) conditions.push(`e."at" <= ${bind(filter.asOf.toISOString())}::timestamptz`);
  const where = conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : "";
  const uuid = bind(UUID_PATTERN);
  // One row more than the page tells whether there is a next page.
  const limit = bind(page.limit + 1);
  const offset = bind(page.offset);
  // actor and user_id are text (an actor may be "system" or a client): only a uuid-shaped
  // value is cast, so that the join can use the users primary key.
  const rows = await sql.query<{
    id: string;
    at: Date | string;
    kind: string;
    actor: string | null;
    actor_username: string | null;
    user_id: string | null;
    username: string | null;
    client_id: string | null;
    ip: string | null;
    reason: string | null;
    details: Record<string, unknown> | string | null;
    request_id: string | null;
  }>(
    `SELECT e."id", e."at", e."kind", e."actor", a."username" AS "actor_username", e."user_id", u."username",
            e."client_id", e."ip", e."reason", e."details", e."request_id"
       FROM (SELECT * FROM "audit_events" e ${where} ORDER BY e."at" DESC, e."id" DESC LIMIT ${limit} OFFSET ${offset}) e
       LEFT JOIN "users" a ON a."id" = (CASE WHEN e."actor" ~ ${uuid} THEN e."actor"::uuid END)
       LEFT JOIN "users" u ON u."id" = (CASE WHEN e."user_id" ~ ${uuid} THEN e."user_id"::uuid END)
      ORDER BY e."at" DESC, e."id" DESC`,
    params,
  );
  const mapped = rows.slice(0, page.limit).map(
    (row): AuditEventRow => ({
      id: row.id,
      at: row.at instanceof Date ? row.at : new Date(row.at),
      kind: row.kind,
      actor: row.actor,
      actorUsername: row.actor_username,
      userId: row.user_id,
      username: row.username,
      clientId: row.client_id,
      ip: row.ip,
      reason: row.reason,
      details: typeof row.details === "string" ? (JSON.parse(row.details) as Record<string, unknown>) : row.details,
      requestId: row.request_id,
    }),
  );
  return { rows: mapped, hasMore: rows.length > page.limit };
}

/** The id of the user with this username (exact match), or null. */
export async function findUserIdByUsername(sql: SqlExecutor, username: string): Promise<string | null> {
  // PostgreSQL text cannot hold U+0000, so no user has such a name; the query itself would fail (a 500).
  if (username.includes("\u0000")) return null;
  const rows = await sql.query<{ id: string }>(`SELECT "id"::text AS "id" FROM "users" WHERE "username" = $1`, [username]);
  return rows[0]?.id ?? null;
}
