import type { Metadata } from "next";
import { AppShell } from "@/components/AppShell";
import { signOut } from "@/app/logout/actions";
import { ClientForm } from "@/components/clients/ClientForm";
import { requireAdminPage } from "@/lib/next/guards";
import { NEW_CLIENT_DEFAULTS } from "@/lib/forms/clientForm";
import { getGatehouse } from "@/lib/gatehouse";
import { createClient } from "../actions";
import { loadClientFormData } from "../formData";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "New client" };

export default async function NewClientPage() {
  const session = await requireAdminPage("/dashboard/clients/new");
  const { scopes, lifetimeDefaults, signingAlgorithmDefaults } = await loadClientFormData(await getGatehouse());
  return (
    <AppShell user={session} signOut={signOut} admin title="New client" description="Register an application. It can be used as soon as it is saved.">
      <ClientForm mode="create" action={createClient} defaultValues={NEW_CLIENT_DEFAULTS} scopes={scopes} lifetimeDefaults={lifetimeDefaults} signingAlgorithmDefaults={signingAlgorithmDefaults} />
    </AppShell>
  );
}
