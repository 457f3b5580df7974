import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { AppShell } from "@/components/AppShell";
import { signOut } from "@/app/logout/actions";
import { ClientForm } from "@/components/clients/ClientForm";
import { DeleteClientButton } from "@/components/clients/DeleteClientButton";
import { RotateSecretButton } from "@/components/clients/RotateSecretButton";
import { ActionButton } from "@/components/ui/ActionButton";
import { Alert } from "@/components/ui/Alert";
import { buttonClass } from "@/components/ui/Button";
import { requireAdminPage } from "@/lib/next/guards";
import { findClientByApplicationId } from "@/lib/db/clientAdmin";
import { clientFormValuesFromClient } from "@/lib/forms/clientForm";
import { getGatehouse } from "@/lib/gatehouse";
import { deleteClient, rotateClientSecret, setClientEnabled, setClientManagementApi, updateClient } from "../actions";
import { loadClientFormData } from "../formData";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Client" };

type Params = Promise<{ id: string }>;
type SearchParams = Promise<Record<string, string | string[] | undefined>>;

function Panel({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <section className="space-y-3 rounded-lg border border-slate-200 bg-white p-5">
      <h2 className="text-base font-semibold text-slate-900">{title}</h2>
      {children}
    </section>
  );
}

export default async function ClientPage({ params, searchParams }: { params: Params; searchParams: SearchParams }) {
  const { id } = await params;
  const session = await requireAdminPage(`/dashboard/clients/${encodeURIComponent(id)}`);
  const gatehouse = await getGatehouse();
  const client = await findClientByApplicationId(gatehouse.db, id);
  if (!client) notFound();
  const { scopes, lifetimeDefaults, signingAlgorithmDefaults } = await loadClientFormData(gatehouse);
  const created = (await searchParams).created === "1";
  const defaultValues = clientFormValuesFromClient(client);
  // Only scopes that still exist can be ticked; a permission for a deleted scope is dropped on save.
  defaultValues.scopes = (defaultValues.scopes ?? []).filter((name) => scopes.some((scope) => scope.name === name));

  return (
    <AppShell
      user={session}
      signOut={signOut}
      admin
      title={client.displayName}
      description={
        <>
          Client ID <code className="rounded bg-slate-100 px-1">{client.clientId}</code> ·{" "}
          {client.clientType === "public" ? "Public" : "Confidential"} · {client.enabled ? "Enabled" : <strong className="text-red-800">Disabled</strong>}
        </>
      }
      actions={
        <Link href={`/dashboard/clients/${client.id}/grants`} className={buttonClass("secondary")}>
          Authorizations and tokens
        </Link>
      }
    >
      {created ? <Alert kind="success">Client {client.clientId} created. It can be used right away.</Alert> : null}

      <div className="grid gap-4 md:grid-cols-2">
        <Panel title="Status">
          <p className="text-sm text-slate-700">
            {client.enabled
              ? "Enabled: the client can sign users in and get tokens."
              : "Disabled: Gatehouse refuses this client at every endpoint, and its tokens are not honoured, until it is enabled again."}
          </p>
          <ActionButton
            action={setClientEnabled}
            input={{ id: client.id, enabled: !client.enabled }}
            label={client.enabled ? "Disable client" : "Enable client"}
            pendingLabel={client.enabled ? "Disabling…" : "Enabling…"}
            confirm={client.enabled ? `Disable ${client.displayName}? It is refused at once, until you enable it again.` : undefined}
          />
        </Panel>
        {client.clientType === "confidential" ? (
          <Panel title="Client secret">
            <p className="text-sm text-slate-700">
              Stored only as a hash, so it cannot be shown again. Rotating makes a new secret and the current one stops working
              immediately.
            </p>
            <RotateSecretButton id={client.id} clientId={client.clientId} action={rotateClientSecret} />
          </Panel>
        ) : null}
        {client.clientType === "confidential" ? (
          <Panel title="Management API">
            <p className="text-sm text-slate-700">
              {client.managementApi ? (
                <>
                  <strong>Allowed:</strong> this client may obtain the <code className="rounded bg-slate-100 px-1">gatehouse:admin</code> scope with
                  client credentials and then do through the <Link href="/dashboard/api" className="underline">management API</Link> what an
                  administrator does here.
                </>
              ) : (
                <>
                  Not allowed: requests for the <code className="rounded bg-slate-100 px-1">gatehouse:admin</code> scope are refused. Allow it only
                  for an automation you trust like an administrator (see the <Link href="/dashboard/api" className="underline">management API</Link>).
                </>
              )}
            </p>
            <ActionButton
              action={setClientManagementApi}
              input={{ id: client.id, managementApi: !client.managementApi }}
              label={client.managementApi ? "Withdraw management API access" : "Allow management API access"}
              pendingLabel="Saving…"
              confirm={
                client.managementApi
                  ? `Withdraw management API access from ${client.displayName}? Its management tokens are refused from the next request.`
                  : `Allow ${client.displayName} to manage Gatehouse through the API, with the powers of an administrator?`
              }
            />
          </Panel>
        ) : null}
      </div>

      <ClientForm mode="edit" id={client.id} action={updateClient} defaultValues={defaultValues} scopes={scopes} lifetimeDefaults={lifetimeDefaults} signingAlgorithmDefaults={signingAlgorithmDefaults} />

      <Panel title="Delete">
        <p className="text-sm text-slate-700">Deleting the client also deletes its users&apos; consents and every token issued to it.</p>
        <DeleteClientButton id={client.id} displayName={client.displayName} action={deleteClient} />
      </Panel>
    </AppShell>
  );
}
