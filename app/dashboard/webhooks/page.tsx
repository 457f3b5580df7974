import type { Metadata } from "next";
import { AppShell } from "@/components/AppShell";
import { signOut } from "@/app/logout/actions";
import { WebhookDeliveriesTable } from "@/components/webhooks/WebhookDeliveriesTable";
import { requireAdminPage } from "@/lib/next/guards";
import { listWebhookDeliveries } from "@/lib/db/webhookOutbox";
import { getGatehouse } from "@/lib/gatehouse";
import { displayedWebhookUrl } from "@/lib/webhooks/delivery";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Webhooks" };

/** Deliveries shown: the latest ones, enough to see what a receiver has been answering. */
const SHOWN = 50;

export default async function WebhooksPage() {
  const session = await requireAdminPage("/dashboard/webhooks");
  const { db, settings } = await getGatehouse();
  const deliveries = await listWebhookDeliveries(db.sql, SHOWN);
  const webhooks = settings.webhooks;
  return (
    <AppShell
      user={session}
      signOut={signOut}
      admin
      title="Webhooks"
      description="Audit events sent as signed webhooks (Standard Webhooks) to the URL in GATEHOUSE_WEBHOOK_URL, retried with backoff for about eight hours when the receiver does not answer 2xx."
    >
      <section aria-labelledby="webhook-settings" className="space-y-2">
        <h2 id="webhook-settings" className="text-lg font-semibold text-slate-900">
          Configuration
        </h2>
        {webhooks ? (
          <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
            <dt className="font-medium text-slate-700">Status</dt>
            <dd>On</dd>
            <dt className="font-medium text-slate-700">URL</dt>
            <dd className="break-all font-mono text-xs">{displayedWebhookUrl(webhooks.url)}</dd>
            <dt className="font-medium text-slate-700">Events</dt>
            <dd>{webhooks.events ? <code className="text-xs">{webhooks.events.join(", ")}</code> : "All audit events"}</dd>
          </dl>
        ) : (
          <p className="text-sm text-slate-600">
            Off. Set GATEHOUSE_WEBHOOK_URL and GATEHOUSE_WEBHOOK_SECRET (and optionally GATEHOUSE_WEBHOOK_EVENTS) and restart to send audit events
            to a receiver.
          </p>
        )}
      </section>
      <section aria-labelledby="webhook-deliveries" className="space-y-2">
        <h2 id="webhook-deliveries" className="text-lg font-semibold text-slate-900">
          Latest deliveries
        </h2>
        <p className="text-sm text-slate-600">The latest {SHOWN}, newest first. All times are UTC.</p>
        <WebhookDeliveriesTable deliveries={deliveries} />
      </section>
    </AppShell>
  );
}
