import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { AppShell } from "@/components/AppShell";
import { signOut } from "@/app/logout/actions";
import { requireAdminPage } from "@/lib/next/guards";
import { findScopeForAdmin } from "@/lib/db/scopeAdmin";
import { getGatehouse } from "@/lib/gatehouse";
import { ScopeForm } from "../ScopeForm";
import { DeleteScopeButton } from "./DeleteScopeButton";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Edit scope" };

export default async function EditScopePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const session = await requireAdminPage(`/dashboard/scopes/${id}`);
  const { db } = await getGatehouse();
  const found = await findScopeForAdmin(db, id);
  if (!found) notFound();
  const { scope, clients } = found;
  return (
    <AppShell
      user={session}
      signOut={signOut}
      admin
      title={`Scope ${scope.name}`}
      description={
        scope.standard
          ? "A standard OpenID Connect scope: its name, claims and resources are fixed, and it cannot be deleted. You can reword what users read."
          : "The name cannot change: clients, consents and issued tokens refer to it."
      }
    >
      <ScopeForm
        mode="edit"
        id={scope.id}
        standard={scope.standard}
        initial={{
          displayName: scope.displayName,
          description: scope.description,
          resources: scope.resources.join("\n"),
          claims: scope.claims,
          accessTokenClaims: scope.accessTokenClaims,
        }}
      />
      <section aria-labelledby="scope-clients" className="max-w-2xl space-y-2">
        <h2 id="scope-clients" className="text-lg font-semibold text-slate-900">
          Clients allowed to request it
        </h2>
        {clients.length ? (
          <ul className="list-disc pl-5 text-sm text-slate-800">
            {clients.map((client) => (
              <li key={client.clientId}>
                {client.displayName} <span className="font-mono text-slate-600">({client.clientId})</span>
              </li>
            ))}
          </ul>
        ) : (
          <p className="text-sm text-slate-600">None.</p>
        )}
      </section>
      <section aria-labelledby="scope-delete" className="max-w-2xl space-y-2">
        <h2 id="scope-delete" className="text-lg font-semibold text-slate-900">
          Delete
        </h2>
        {scope.standard ? (
          <p className="text-sm text-slate-700">Standard scopes cannot be deleted: OpenID Connect client libraries request them by name.</p>
        ) : (
          <>
            <p className="text-sm text-slate-700">A scope can be deleted once no client may request it any more.</p>
            <DeleteScopeButton id={scope.id} name={scope.name} />
          </>
        )}
      </section>
    </AppShell>
  );
}
