import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { PageShell } from "@/components/PageShell";
import { getGatehouse } from "@/lib/gatehouse";
import { loadConsentPrompt } from "@/lib/oauth/consent";
import { currentPortalSession } from "@/lib/next/session";
import { decideConsent } from "./actions";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Allow access?" };

function originOf(uri: string): string {
  try {
    const url = new URL(uri);
    return url.protocol === "http:" || url.protocol === "https:" ? url.host : `${url.protocol}//`;
  } catch {
    return uri;
  }
}

export default async function ConsentPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const interactionId = typeof params.interaction === "string" ? params.interaction : "";
  const session = await currentPortalSession();
  if (!session && /^[A-Za-z0-9_-]{43}$/.test(interactionId)) redirect(`/login?interaction=${interactionId}`);
  const gatehouse = await getGatehouse();
  const prompt = session ? await loadConsentPrompt(gatehouse.consent, interactionId, session) : null;
  if (!prompt) {
    return (
      <PageShell title="This request has expired">
        <p className="text-sm text-slate-700">
          There is nothing waiting for your approval here: the request was completed, took too long, or belongs to
          another account. Return to the application and start again.
        </p>
      </PageShell>
    );
  }
  return (
    <PageShell
      title={`Allow ${prompt.client.displayName} to access your account?`}
      subtitle={
        <>
          Signed in as <strong className="text-slate-900">{prompt.user.name || prompt.user.username}</strong> ({prompt.user.username}).
        </>
      }
    >
      <form action={decideConsent} className="space-y-6">
        <input type="hidden" name="interaction" value={prompt.interactionId} />
        <fieldset>
          <legend className="mb-3 text-sm font-medium text-slate-900">{prompt.client.displayName} is asking to:</legend>
          <ul className="space-y-3">
            {prompt.scopes.map((scope) => {
              const required = prompt.requiredScopes.includes(scope.name);
              const id = `scope-${scope.name}`;
              return (
                <li key={scope.name} className="flex gap-3 rounded-lg border border-slate-200 p-3">
                  <input
                    id={id}
                    type="checkbox"
                    name="scope"
                    value={scope.name}
                    defaultChecked
                    disabled={required}
                    aria-describedby={`${id}-description`}
                    className="mt-1 h-4 w-4 rounded border-slate-300 text-indigo-600 focus:ring-indigo-500"
                  />
                  {required ? <input type="hidden" name="scope" value={scope.name} /> : null}
                  <label htmlFor={id} className="text-sm">
                    <span className="block font-medium text-slate-900">
                      {scope.displayName}
                      {required ? <span className="ml-2 text-xs font-normal text-slate-500">(required)</span> : null}
                    </span>
                    <span id={`${id}-description`} className="block text-slate-600">
                      {scope.description}
                    </span>
                  </label>
                </li>
              );
            })}
          </ul>
        </fieldset>
        <p className="text-xs text-slate-500">
          You will be sent back to <strong>{originOf(prompt.redirectUri)}</strong>.
        </p>
        <div className="flex gap-3">
          <button
            type="submit"
            name="decision"
            value="allow"
            className="flex-1 rounded-lg bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-700 focus:outline-none focus:ring-2 focus:ring-indigo-500 focus:ring-offset-2"
          >
            Allow
          </button>
          <button
            type="submit"
            name="decision"
            value="deny"
            className="flex-1 rounded-lg border border-slate-300 bg-white px-4 py-2 text-sm font-semibold text-slate-800 hover:bg-slate-50 focus:outline-none focus:ring-2 focus:ring-indigo-500 focus:ring-offset-2"
          >
            Deny
          </button>
        </div>
      </form>
    </PageShell>
  );
}
