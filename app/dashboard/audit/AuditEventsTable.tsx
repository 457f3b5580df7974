import { Cell, Table } from "@/components/ui/Table";
import type { AuditEventRow } from "@/lib/db/auditQueries";

const COLUMNS = ["Time (UTC)", "Kind", "Actor", "User", "Client", "IP", "Reason", "Details", "Request ID"] as const;
/** Details longer than this are cut in the row; the whole JSON opens below it. */
const DETAILS_PREVIEW = 160;

function Missing() {
  return <span className="text-slate-600">—</span>;
}

/** A username where one is known, else the raw value (a deleted user's id, a client, "system"). */
function Who({ name, id }: { name: string | null; id: string | null }) {
  if (!id) return <Missing />;
  if (!name) return <span className="break-all font-mono text-xs">{id}</span>;
  return <span title={id}>{name}</span>;
}

function Details({ details }: { details: Record<string, unknown> | null }) {
  if (!details) return <Missing />;
  const json = JSON.stringify(details);
  if (json.length <= DETAILS_PREVIEW) return <code className="break-all text-xs">{json}</code>;
  return (
    <details>
      <summary className="cursor-pointer">
        <code className="break-all text-xs">{json.slice(0, DETAILS_PREVIEW)}…</code>
      </summary>
      <code className="mt-1 block break-all text-xs">{json}</code>
    </details>
  );
}

export function AuditEventsTable({ rows }: { rows: AuditEventRow[] }) {
  return (
    <Table caption="Audit events, newest first" columns={COLUMNS} empty={rows.length === 0 ? "No events match these filters." : undefined}>
      {rows.map((row) => {
        const at = row.at.toISOString();
        return (
          <tr key={row.id}>
            <Cell className="whitespace-nowrap font-mono text-xs">
              <time dateTime={at}>{at}</time>
            </Cell>
            <Cell>
              <code className="text-xs">{row.kind}</code>
            </Cell>
            <Cell>
              <Who name={row.actorUsername} id={row.actor} />
            </Cell>
            <Cell>
              <Who name={row.username} id={row.userId} />
            </Cell>
            <Cell>{row.clientId ?? <Missing />}</Cell>
            <Cell className="font-mono text-xs">{row.ip ?? <Missing />}</Cell>
            <Cell>{row.reason ?? <Missing />}</Cell>
            <Cell className="max-w-md">
              <Details details={row.details} />
            </Cell>
            {/* The X-Request-Id of the request that recorded it: the key to its line in the server's log. */}
            <Cell className="break-all font-mono text-xs">{row.requestId ?? <Missing />}</Cell>
          </tr>
        );
      })}
    </Table>
  );
}
