import type { Metadata } from "next";
import Link from "next/link";
import { AppShell } from "@/components/AppShell";
import { signOut } from "@/app/logout/actions";
import { Alert } from "@/components/ui/Alert";
import { Pagination, pageNumber } from "@/components/ui/Pagination";
import { requireAdminPage } from "@/lib/next/guards";
import { findAuditEvents, findUserIdByUsername, type AuditEventFilter, type AuditEventPage } from "@/lib/db/auditQueries";
import { AUDIT_PAGE_SIZE, auditFilterQuery, looksLikeUserId, parseAuditFilter, type AuditFilterField } from "@/lib/forms/auditFilter";
import { getGatehouse } from "@/lib/gatehouse";
import { AUDIT_PATH, AuditFilterForm } from "./AuditFilterForm";
import { AuditEventsTable } from "./AuditEventsTable";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Audit log" };

type SearchParams = Record<string, string | string[] | undefined>;

/** The query string of `values` (blank ones left out), for links back to this view. */
function queryOf(values: Partial<Record<string, string>>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) if (value) query.set(name, value);
  const text = query.toString();
  return text ? `?${text}` : "";
}

export default async function AuditLogPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const params = await searchParams;
  const query = auditFilterQuery(params);
  const session = await requireAdminPage(AUDIT_PATH + queryOf(query));
  const page = pageNumber(params.page);
  const { db } = await getGatehouse();

  const parsed = parseAuditFilter(query);
  const errors: Partial<Record<AuditFilterField, string>> = parsed.ok ? {} : { ...parsed.fieldErrors };
  let result: AuditEventPage | null = null;
  let asOf: Date | null = null;

  if (parsed.ok) {
    const { filter } = parsed;
    let userId: string | undefined;
    if (filter.user !== undefined) {
      userId = looksLikeUserId(filter.user) ? filter.user.toLowerCase() : ((await findUserIdByUsername(db.sql, filter.user)) ?? undefined);
      if (userId === undefined) errors.user = `No user is called “${filter.user}”. Enter an exact username, or a user id for a deleted user.`;
    }
    if (errors.user === undefined) {
      // Page 1 pins the moment it was shown; its paging links keep it, so new events do not shift later pages.
      asOf = filter.asOf ?? new Date();
      const conditions: AuditEventFilter = {
        userId,
        clientId: filter.client,
        kind: filter.kind,
        kindPrefix: filter.prefix,
        from: filter.from,
        to: filter.to,
        asOf,
      };
      result = await findAuditEvents(db.sql, conditions, { limit: AUDIT_PAGE_SIZE, offset: (page - 1) * AUDIT_PAGE_SIZE });
    }
  }

  const messages = Object.values(errors);
  const filters: Partial<Record<AuditFilterField, string>> = { ...query, asOf: undefined };
  const first = (page - 1) * AUDIT_PAGE_SIZE + 1;
  return (
    <AppShell
      user={session}
      signOut={signOut}
      admin
      title="Audit log"
      description="Sign-ins, consents, tokens and dashboard changes. All times are UTC (ISO 8601); the From and To filters are read as UTC too, whatever your browser's time zone."
    >
      <AuditFilterForm values={filters} errors={errors} />
      {messages.length > 0 ? (
        <Alert kind="error" title="These filters cannot be used">
          <ul className="list-inside list-disc">
            {messages.map((message) => (
              <li key={message}>{message}</li>
            ))}
          </ul>
        </Alert>
      ) : null}
      {result && asOf ? (
        <section aria-labelledby="audit-results" className="space-y-2">
          <h2 id="audit-results" className="text-lg font-semibold text-slate-900">
            Events
          </h2>
          <p className="text-sm text-slate-600">
            {result.rows.length > 0 ? `Events ${first}–${first + result.rows.length - 1}` : "No events"}, newest first, recorded up to{" "}
            <time dateTime={asOf.toISOString()}>{asOf.toISOString()}</time>.
            {query.asOf ? (
              <>
                {" "}
                <Link href={AUDIT_PATH + queryOf(filters)} className="font-medium text-indigo-700 underline">
                  Show the newest events
                </Link>
              </>
            ) : null}
          </p>
          <AuditEventsTable rows={result.rows} />
          <Pagination path={AUDIT_PATH} params={{ ...filters, asOf: asOf.toISOString() }} page={page} hasNext={result.hasMore} />
        </section>
      ) : null}
    </AppShell>
  );
}
