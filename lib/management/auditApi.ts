// /api/v1/audit-events: the audit log page's query (lib/forms/auditFilter.ts
// parses the filters for both), newest first, pinned by as_of like the page.
import { z } from "zod";
import { findAuditEvents, findUserIdByUsername } from "../db/auditQueries";
import { AUDIT_PAGE_SIZE, auditFilterQuery, auditFilterSchema, looksLikeUserId, parseAuditFilter } from "../forms/auditFilter";
import { invalidInput, route } from "./routes";

const auditQuery = z.strictObject({
  ...auditFilterSchema.shape,
  page: z.coerce.number().int().min(1).max(100_000).default(1),
});

const auditEvent = z
  .object({
    id: z.string(),
    at: z.iso.datetime(),
    kind: z.string(),
    actor: z.string().nullable().describe('A user id, "client:<client_id>" for the management API, "config:<file name>" for a config file applied by the CLI, or null.'),
    actor_username: z.string().nullable(),
    user_id: z.string().nullable(),
    username: z.string().nullable(),
    client_id: z.string().nullable(),
    ip: z.string().nullable(),
    reason: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
  })
  .meta({ title: "AuditEvent" });

export const auditRoutes = [
  route({
    method: "GET",
    path: "/audit-events",
    operationId: "listAuditEvents",
    tag: "Audit log",
    summary: "Query the audit log",
    description:
      `Newest first, ${AUDIT_PAGE_SIZE} a page. Filters as on /dashboard/audit: user (id or exact username), client (client_id), kind, prefix (of the kind), ` +
      "from (inclusive) and to (exclusive) as 2026-11-26T14:30 in UTC. Page 1 answers as_of; send it back with later pages so that new events do not shift them.",
    query: auditQuery,
    success: {
      status: 200,
      description: "One page of events.",
      schema: z.object({ events: z.array(auditEvent), page: z.int(), has_next: z.boolean(), as_of: z.iso.datetime() }),
    },
    async run({ query, rawQuery, operation }) {
      const parsed = parseAuditFilter(auditFilterQuery(rawQuery));
      if (!parsed.ok) throw invalidInput(Object.entries(parsed.fieldErrors).map(([parameter, detail]) => ({ parameter, detail: detail! })));
      const { filter } = parsed;
      let userId: string | undefined;
      if (filter.user !== undefined) {
        userId = looksLikeUserId(filter.user) ? filter.user.toLowerCase() : ((await findUserIdByUsername(operation.db.sql, filter.user)) ?? undefined);
        if (userId === undefined) throw invalidInput([{ parameter: "user", detail: `No user is called "${filter.user}". Send an exact username, or a user id.` }]);
      }
      const asOf = filter.asOf ?? new Date();
      const result = await findAuditEvents(
        operation.db.sql,
        { userId, clientId: filter.client, kind: filter.kind, kindPrefix: filter.prefix, from: filter.from, to: filter.to, asOf },
        { limit: AUDIT_PAGE_SIZE, offset: (query.page - 1) * AUDIT_PAGE_SIZE },
      );
      return {
        status: 200,
        body: {
          events: result.rows.map((row) => ({
            id: row.id,
            at: row.at.toISOString(),
            kind: row.kind,
            actor: row.actor,
            actor_username: row.actorUsername,
            user_id: row.userId,
            username: row.username,
            client_id: row.clientId,
            ip: row.ip,
            reason: row.reason,
            details: row.details,
          })),
          page: query.page,
          has_next: result.hasMore,
          as_of: asOf.toISOString(),
        },
      };
    },
  }),
];
