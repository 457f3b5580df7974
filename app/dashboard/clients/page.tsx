import type { Metadata } from "next";
import Link from "next/link";
import { AppShell } from "@/components/AppShell";
import { signOut } from "@/app/logout/actions";
import { Alert } from "@/components/ui/Alert";
import { Button, buttonClass } from "@/components/ui/Button";
import { inputClass } from "@/components/ui/Field";
import { Pagination, pageNumber } from "@/components/ui/Pagination";
import { Cell, Table } from "@/components/ui/Table";
import { requireAdminPage } from "@/lib/next/guards";
import { listClients } from "@/lib/db/clientAdmin";
import { getGatehouse } from "@/lib/gatehouse";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Clients" };

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

function single(value: string | string[] | undefined): string {
  return typeof value === "string" ? value.slice(0, 200) : "";
}

export default async function ClientsPage({ searchParams }: { searchParams: SearchParams }) {
  const session = await requireAdminPage("/dashboard/clients");
  const params = await searchParams;
  const search = single(params.q).trim();
  const page = pageNumber(params.page);
  const deleted = single(params.deleted);
  const { db } = await getGatehouse();
  const { clients, hasNext } = await listClients(db, { search, page });

  return (
    <AppShell
      user={session}
      signOut={signOut}
      admin
      title="Clients"
      description="Applications that may sign users in or call APIs through Gatehouse."
      actions={
        <Link href="/dashboard/clients/new" className={buttonClass("primary")}>
          New client
        </Link>
      }
    >
      {deleted ? <Alert kind="success">Client {deleted} deleted, with its consents and tokens.</Alert> : null}
      <form method="get" action="/dashboard/clients" role="search" className="flex flex-wrap items-end gap-2">
        <div className="space-y-1">
          <label htmlFor="client-search" className="block text-sm font-medium text-slate-800">
            Search by client ID or name
          </label>
          <input id="client-search" name="q" type="search" defaultValue={search} className={`${inputClass} w-72`} />
        </div>
        <Button type="submit" variant="secondary">
          Search
        </Button>
        {search ? (
          <Link href="/dashboard/clients" className={buttonClass("link", "py-2 text-sm")}>
            Clear search
          </Link>
        ) : null}
      </form>
      <Table
        caption={search ? `Clients matching “${search}”, page ${page}` : `Clients, page ${page}`}
        columns={["Client ID", "Display name", "Type", "Status", "Actions"]}
        empty={clients.length === 0 ? (search ? `No client matches “${search}”.` : page > 1 ? "No more clients." : "No clients yet.") : undefined}
      >
        {clients.map((client) => (
          <tr key={client.id}>
            <Cell>
              <code>{client.clientId}</code>
            </Cell>
            <Cell>{client.displayName}</Cell>
            <Cell>{client.clientType === "public" ? "Public" : "Confidential"}</Cell>
            <Cell>{client.enabled ? "Enabled" : <strong className="font-semibold text-red-800">Disabled</strong>}</Cell>
            <Cell>
              <Link href={`/dashboard/clients/${client.id}`} className={buttonClass("link")} aria-label={`Edit ${client.displayName} (${client.clientId})`}>
                Edit
              </Link>
            </Cell>
          </tr>
        ))}
      </Table>
      <Pagination path="/dashboard/clients" params={{ q: search || undefined }} page={page} hasNext={hasNext} />
    </AppShell>
  );
}
