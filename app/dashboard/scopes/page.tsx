import type { Metadata } from "next";
import Link from "next/link";
import { AppShell } from "@/components/AppShell";
import { signOut } from "@/app/logout/actions";
import { Alert } from "@/components/ui/Alert";
import { buttonClass } from "@/components/ui/Button";
import { Cell, Table } from "@/components/ui/Table";
import { requireAdminPage } from "@/lib/next/guards";
import { listScopesForAdmin } from "@/lib/db/scopeAdmin";
import { getGatehouse } from "@/lib/gatehouse";
import { flashText } from "../flash";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Scopes" };

export default async function ScopesPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const session = await requireAdminPage("/dashboard/scopes");
  const params = await searchParams;
  const { db } = await getGatehouse();
  const scopes = await listScopesForAdmin(db);
  const created = flashText(params.created);
  const deleted = flashText(params.deleted);
  return (
    <AppShell
      user={session}
      signOut={signOut}
      admin
      title="Scopes"
      description="What clients may ask users for. The display name and description are what users read on the consent screen."
      actions={
        <Link href="/dashboard/scopes/new" className={buttonClass("primary")}>
          New scope
        </Link>
      }
    >
      {created ? <Alert kind="success">Scope “{created}” was created.</Alert> : null}
      {deleted ? <Alert kind="success">Scope “{deleted}” was deleted.</Alert> : null}
      <Table caption="Scopes" columns={["Name", "Shown to users as", "Resources", "Claims", "Clients"]} empty={scopes.length ? undefined : "No scopes yet."}>
        {scopes.map((scope) => (
          <tr key={scope.id}>
            <Cell>
              <Link href={`/dashboard/scopes/${scope.id}`} className="font-mono font-medium text-indigo-700 underline">
                {scope.name}
              </Link>
              {scope.standard ? <span className="ml-2 rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-700">standard</span> : null}
            </Cell>
            <Cell>
              <span className="block font-medium">{scope.displayName}</span>
              <span className="block text-slate-600">{scope.description}</span>
            </Cell>
            <Cell className="break-all font-mono text-xs">{scope.resources.join(", ") || "—"}</Cell>
            <Cell className="text-xs">{scope.claims.join(", ") || "—"}</Cell>
            <Cell>{scope.clientCount}</Cell>
          </tr>
        ))}
      </Table>
    </AppShell>
  );
}
