import { Card } from "@/components/Card";
import { getGatehouse } from "@/lib/gatehouse";
import { ENDPOINT_PATHS, endpointUrl } from "@/lib/oauth/config";

export const dynamic = "force-dynamic";

export default async function HomePage() {
  const { config } = await getGatehouse();
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
      <Card title="Try it: a client credentials token">
        <pre className="overflow-x-auto rounded bg-slate-900 p-3 text-xs text-slate-100">
          {`curl -u postman:postman-secret \\\n  -d grant_type=client_credentials -d scope=api \\\n  ${endpointUrl(config, ENDPOINT_PATHS.token)}`}
        </pre>
      </Card>
    </main>
  );
}
