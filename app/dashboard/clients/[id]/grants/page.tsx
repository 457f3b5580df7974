import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { AppShell } from "@/components/AppShell";
import { signOut } from "@/app/logout/actions";
import { clientGrantsPath } from "@/components/grants/GrantTables";
import { requireAdminPage } from "@/lib/next/guards";
import { findGrantClient } from "@/lib/db/grants";
import { getGatehouse } from "@/lib/gatehouse";
import { GrantsPageContent } from "../../../grants/GrantsPageContent";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Client grants" };

export default async function ClientGrantsPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { id } = await params;
  const session = await requireAdminPage(clientGrantsPath(encodeURIComponent(id)));
  const client = await findGrantClient((await getGatehouse()).db, id);
  if (!client) notFound();
  return (
    <AppShell
      user={session}
      signOut={signOut}
      admin
      title={`Grants of ${client.displayName}`}
      description={
        <>
          Client <code className="rounded bg-slate-100 px-1">{client.clientId}</code> ·{" "}
          <Link href={`/dashboard/clients/${client.id}`} className="font-medium text-indigo-700 underline">
            Client details
          </Link>
        </>
      }
    >
      <GrantsPageContent owner={{ ownerType: "client", ownerId: client.id }} path={clientGrantsPath(client.id)} query={await searchParams} />
    </AppShell>
  );
}
