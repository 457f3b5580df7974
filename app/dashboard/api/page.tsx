import type { Metadata } from "next";
import { AppShell } from "@/components/AppShell";
import { ApiReference, type OpenApiDocument } from "@/components/api/ApiReference";
import { signOut } from "@/app/logout/actions";
import { requireAdminPage } from "@/lib/next/guards";
import { getGatehouse } from "@/lib/gatehouse";
import { MANAGEMENT_ROUTES } from "@/lib/management/allRoutes";
import { MANAGEMENT_OPENAPI_URL_PATH, openApiDocument } from "@/lib/management/openapi";
import { MANAGEMENT_SCOPE, managementAudience } from "@/lib/oauth/managementScope";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Management API" };

export default async function ManagementApiPage() {
  const session = await requireAdminPage("/dashboard/api");
  const { config } = await getGatehouse();
  const document = openApiDocument(MANAGEMENT_ROUTES, config) as unknown as OpenApiDocument;
  const audience = managementAudience(config);
  return (
    <AppShell
      user={session}
      signOut={signOut}
      admin
      title="Management API"
      description={
        <>
          What this dashboard does, over HTTP and JSON at <code className="rounded bg-slate-100 px-1">{audience}</code>. The OpenAPI 3.1 document:{" "}
          <a href={MANAGEMENT_OPENAPI_URL_PATH} className="font-medium text-indigo-700 underline">
            {MANAGEMENT_OPENAPI_URL_PATH}
          </a>
          .
        </>
      }
    >
      <section aria-labelledby="access-heading" className="space-y-2 text-sm text-slate-700">
        <h2 id="access-heading" className="text-lg font-semibold text-slate-900">
          Access
        </h2>
        <p>
          Open a confidential client with the client credentials grant under <a href="/dashboard/clients" className="underline">Clients</a> and choose{" "}
          <strong>Allow management API access</strong>. That client may then request the scope{" "}
          <code className="rounded bg-slate-100 px-1">{MANAGEMENT_SCOPE}</code> (alone) and call the API with the token as{" "}
          <code className="rounded bg-slate-100 px-1">Authorization: Bearer …</code>. No other client can obtain that scope, and no user
          sign-in ever grants it. Every change is recorded in the <a href="/dashboard/audit" className="underline">audit log</a> with the
          client as its actor. Errors are <code className="rounded bg-slate-100 px-1">application/problem+json</code> (RFC 9457).
        </p>
        <pre className="overflow-x-auto rounded bg-slate-900 p-3 text-xs text-slate-100">
          {`curl -u CLIENT_ID:CLIENT_SECRET -d grant_type=client_credentials -d scope=${MANAGEMENT_SCOPE} ${config.issuer}/connect/token
curl -H "Authorization: Bearer ACCESS_TOKEN" ${audience}/clients`}
        </pre>
      </section>
      <ApiReference document={document} />
    </AppShell>
  );
}
