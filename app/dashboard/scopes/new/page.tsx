import type { Metadata } from "next";
import { AppShell } from "@/components/AppShell";
import { signOut } from "@/app/logout/actions";
import { requireAdminPage } from "@/lib/next/guards";
import { ScopeForm } from "../ScopeForm";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "New scope" };

export default async function NewScopePage() {
  const session = await requireAdminPage("/dashboard/scopes/new");
  return (
    <AppShell user={session} signOut={signOut} admin title="New scope" description="Clients can request the scope once it is among their permissions (Clients → edit).">
      <ScopeForm mode="create" />
    </AppShell>
  );
}
