import { DateTime } from "@/components/grants/format";
import { Cell, Table } from "@/components/ui/Table";
import type { WebhookDeliverySummary } from "@/lib/webhooks/delivery";

const COLUMNS = ["Event", "Status", "Attempts", "Last answer", "Next attempt"] as const;

const STATUS_LABELS: Record<WebhookDeliverySummary["status"], string> = { pending: "Pending", delivered: "Delivered", failed: "Failed" };

function Missing() {
  return <span className="text-slate-600">—</span>;
}

/** The last attempt's HTTP status and error, as recorded (bounded; never the receiver's body). */
function LastAnswer({ delivery }: { delivery: WebhookDeliverySummary }) {
  if (delivery.attempts === 0) return <Missing />;
  return (
    <>
      <span className="block font-mono text-xs">{delivery.lastStatus === null ? "no answer" : `HTTP ${delivery.lastStatus}`}</span>
      {delivery.lastError ? <span className="block break-all text-xs text-slate-600">{delivery.lastError}</span> : null}
    </>
  );
}

export function WebhookDeliveriesTable({ deliveries }: { deliveries: readonly WebhookDeliverySummary[] }) {
  return (
    <Table caption="Webhook deliveries, newest first" columns={COLUMNS} empty={deliveries.length === 0 ? "No deliveries yet." : undefined}>
      {deliveries.map((delivery) => (
        <tr key={delivery.id}>
          <Cell>
            <code className="block text-xs">{delivery.kind}</code>
            <span className="block text-xs text-slate-600">
              <DateTime value={delivery.eventAt} />
            </span>
          </Cell>
          <Cell>
            <span className="block font-medium">{STATUS_LABELS[delivery.status]}</span>
            {delivery.deliveredAt ? (
              <span className="block text-xs text-slate-600">
                <DateTime value={delivery.deliveredAt} />
              </span>
            ) : null}
          </Cell>
          <Cell className="font-mono">{delivery.attempts}</Cell>
          <Cell className="max-w-sm">
            <LastAnswer delivery={delivery} />
          </Cell>
          <Cell>{delivery.status === "pending" ? <DateTime value={delivery.nextAttemptAt} /> : <Missing />}</Cell>
        </tr>
      ))}
    </Table>
  );
}
