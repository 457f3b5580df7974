import Link from "next/link";
import { Card } from "@/components/Card";
import { isAdmin } from "@/lib/auth/roles";
import { currentPortalSession } from "@/lib/next/session";
import { signOut } from "./logout/actions";
import { getGatehouse } from "@/lib/gatehouse";
import { DEMO, demoDataAllowed, findDemoData } from "@/lib/db/seed";
import { ENDPOINT_PATHS, endpointUrl } from "@/lib/oauth/config";

export const dynamic = "force-dynamic";

export default async function HomePage() {
  const { config, settings, db } = await getGatehouse();
  const session = await currentPortalSession();
  // The demo credentials are public: shown only where demo data is in use (loopback issuer or
  // GATEHOUSE_DEMO=1) and only those still present.
  const demo = demoDataAllowed(settings) ? await findDemoData(db) : [];
  const demoClient = demo.includes(`client ${DEMO.postman.clientId}`);
  const demoUser = demo.includes(`user ${DEMO.alice.username}`);
  const endpoints = [
    ["Discovery (OpenID Connect)", endpointUrl(config, ENDPOINT_PATHS.openidConfiguration)],
    ["Discovery (RFC 8414)", endpointUrl(config, ENDPOINT_PATHS.oauthAuthorizationServer)],
    ["JSON Web Key Set", endpointUrl(config, ENDPOINT_PATHS.jwks)],
    ["Token endpoint", endpointUrl(config, ENDPOINT_PATHS.token)],
  ] as const;
  return (
    <main className="mx-auto max-w-3xl space-y-6 px-6 py-12">
      <header className="space-y-2">
        <p className="text-sm font-medium uppercase tracking-wide text-indigo-600">Gatehouse</p>
        <h1 className="text-3xl font-bold">Identity portal</h1>
        <p className="text-slate-600">
          OAuth 2.0 and OpenID Connect for your apps. Issuer: <code className="rounded bg-slate-100 px-1">{config.issuer}</code>
        </p>
        {session ? (
          <form action={signOut} className="flex items-center gap-2 text-sm text-slate-700">
            <span>
              Signed in as <strong className="text-slate-900">{session.username}</strong> —
            </span>
            <Link href="/account" className="font-medium text-indigo-700 underline">
              My account
            </Link>
            {isAdmin(session) ? (
              <Link href="/dashboard" className="font-medium text-indigo-700 underline">
                Dashboard
              </Link>
            ) : null}
            <button type="submit" className="font-medium text-indigo-700 underline">
              Sign out
            </button>
          </form>
        ) : (
          <p className="text-sm">
            <Link href="/login" className="font-medium text-indigo-700 underline">
              Sign in
            </Link>
          </p>
        )}
      </header>
      <Card title="Endpoints">
        <ul className="space-y-1">
          {endpoints.map(([label, url]) => (
            <li key={url} className="flex flex-col sm:flex-row sm:gap-2">
              <span className="font-medium sm:w-56">{label}</span>
              <a className="break-all text-indigo-700 underline" href={url}>
                {url}
              </a>
            </li>
          ))}
        </ul>
      </Card>
      {demoClient ? (
        <Card title="Try it: a client credentials token">
          <pre className="overflow-x-auto rounded bg-slate-900 p-3 text-xs text-slate-100">
            {`curl -u ${DEMO.postman.clientId}:${DEMO.postman.secret} \\\n  -d grant_type=client_credentials -d scope=api \\\n  ${endpointUrl(config, ENDPOINT_PATHS.token)}`}
          </pre>
          {demoUser ? (
            <p className="mt-2 text-sm text-slate-700">
              Demo user: <code className="rounded bg-slate-100 px-1">{DEMO.alice.username}</code> /{" "}
              <code className="rounded bg-slate-100 px-1">{DEMO.alice.password}</code>
            </p>
          ) : null}
        </Card>
      ) : null}
    </main>
  );
}
