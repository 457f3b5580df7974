import type { Metadata } from "next";
import Link from "next/link";
import { AppShell } from "@/components/AppShell";
import { signOut } from "@/app/logout/actions";
import { requireAdminPage } from "@/lib/next/guards";
import { readPortalOverview } from "@/lib/db/overview";
import { getGatehouse } from "@/lib/gatehouse";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Dashboard" };

export default async function DashboardPage() {
  const session = await requireAdminPage("/dashboard");
  const { db, config } = await getGatehouse();
  const overview = await readPortalOverview(db.sql);
  const tiles = [
    { label: "Clients", value: overview.clients, note: overview.disabledClients ? `${overview.disabledClients} disabled` : null, href: "/dashboard/clients" },
    { label: "Scopes", value: overview.scopes, note: null, href: "/dashboard/scopes" },
    { label: "Users", value: overview.users, note: overview.disabledUsers ? `${overview.disabledUsers} disabled` : null, href: "/dashboard/users" },
    { label: "Active sessions", value: overview.activeSessions, note: null, href: "/dashboard/users" },
    { label: "Live tokens", value: overview.liveTokens, note: "access and refresh", href: "/dashboard/clients" },
    { label: "Failed sign-ins (24 h)", value: overview.signInFailures24h, note: null, href: "/dashboard/audit?kind=signin.failed" },
  ];
  return (
    <AppShell user={session} signOut={signOut} admin title="Dashboard" description={<>Issuer <code className="rounded bg-slate-100 px-1">{config.issuer}</code></>}>
      <ul className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-3">
        {tiles.map((tile) => (
          <li key={tile.label}>
            <Link href={tile.href} className="block rounded-xl border border-slate-200 bg-white p-5 shadow-sm hover:border-indigo-300 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-600">
              <span className="block text-sm font-medium text-slate-600">{tile.label}</span>
              <span className="mt-1 block text-3xl font-bold text-slate-900">{tile.value}</span>
              {tile.note ? <span className="mt-1 block text-xs text-slate-600">{tile.note}</span> : null}
            </Link>
          </li>
        ))}
      </ul>
    </AppShell>
  );
}
