// Who may call the management API (lib/management/authenticate.ts) and who may
// get its scope (lib/oauth/managementScope.ts, the client_credentials grant):
// the rules on fakes, including what the HTTP tests cannot wait for (expiry).
import { beforeAll, describe, expect, it } from "vitest";
import { authenticateCaller, type CallerDeps } from "@/lib/management/authenticate";
import { ProblemError } from "@/lib/management/problems";
import { OAuthError } from "@/lib/oauth/errors";
import { clientCredentialsGrant } from "@/lib/oauth/grants/clientCredentials";
import { FormParameters } from "@/lib/oauth/http";
import { MANAGEMENT_SCOPE, managementAudience } from "@/lib/oauth/managementScope";
import { checkClientScopes } from "@/lib/oauth/scopes";
import { InMemoryClientStore, InMemoryScopeStore, createTokenFixture, makeClient, makeScope, type TokenFixture } from "./fakes";

let fx: TokenFixture;
let deps: CallerDeps;
const marked = makeClient({ clientId: "automation", managementApi: true, permissions: ["ept:token", "gt:client_credentials", "scp:api"] });
const unmarked = makeClient({ clientId: "ordinary", permissions: ["ept:token", "gt:client_credentials", "scp:api"] });
const clients = new InMemoryClientStore([marked, unmarked]);

beforeAll(async () => {
  fx = await createTokenFixture();
  deps = { config: fx.config, keys: fx.keys, tokens: fx.tokens, now: fx.clock.now, clients };
});

function request(token: string | null): Request {
  return new Request(`${fx.config.issuer}/api/v1/clients`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
}

async function refusal(token: string | null): Promise<{ status: number; challenge: string }> {
  try {
    await authenticateCaller(deps, request(token));
  } catch (error) {
    if (error instanceof ProblemError) return { status: error.problem.status, challenge: error.headers["WWW-Authenticate"] ?? "" };
    throw error;
  }
  throw new Error("the caller was accepted");
}

const adminToken = (client = marked) => fx.issue({ client, subject: client.clientId, scopes: [MANAGEMENT_SCOPE], audiences: [managementAudience(fx.config)] });

describe("authenticateCaller", () => {
  it("accepts a marked client's gatehouse:admin token for the API's audience", async () => {
    const issued = await adminToken();
    expect(await authenticateCaller(deps, request(issued.accessToken))).toEqual({ clientId: "automation", jti: issued.jti });
  });

  it("RFC 6750 §3.1: no token is 401 with a bare challenge; another scheme too", async () => {
    expect(await refusal(null)).toEqual({ status: 401, challenge: 'Bearer realm="gatehouse"' });
    const basic = new Request(`${fx.config.issuer}/api/v1/clients`, { headers: { Authorization: "Basic YTpi" } });
    await expect(authenticateCaller(deps, basic)).rejects.toMatchObject({ problem: { status: 401 } });
  });

  it("an expired token is 401 invalid_token", async () => {
    const issued = await adminToken();
    fx.clock.advance(3600 + 1);
    try {
      expect(await refusal(issued.accessToken)).toMatchObject({ status: 401, challenge: expect.stringContaining('error="invalid_token"') });
    } finally {
      fx.clock.advance(-(3600 + 1));
    }
  });

  it("a token for another audience is 401 invalid_token, one without the scope 403 insufficient_scope", async () => {
    const other = await fx.issue({ client: marked, subject: "automation", scopes: [MANAGEMENT_SCOPE], audiences: ["urn:gatehouse:api"] });
    expect(await refusal(other.accessToken)).toMatchObject({ status: 401, challenge: expect.stringContaining("invalid_token") });
    const scopeless = await fx.issue({ client: marked, subject: "automation", scopes: ["api"], audiences: [managementAudience(fx.config)] });
    const answer = await refusal(scopeless.accessToken);
    expect(answer.status).toBe(403);
    expect(answer.challenge).toContain('error="insufficient_scope"');
    expect(answer.challenge).toContain(`scope="${MANAGEMENT_SCOPE}"`);
  });

  it("a client that is no longer marked is 401 invalid_token, even with a live token", async () => {
    const issued = await adminToken(unmarked);
    expect(await refusal(issued.accessToken)).toMatchObject({ status: 401, challenge: expect.stringContaining("no longer allowed") });
  });
});

describe("the gatehouse:admin scope at the token endpoint and in every other grant", () => {
  const grantDeps = () => ({ config: fx.config, keys: fx.keys, tokens: fx.tokens, scopes: new InMemoryScopeStore([makeScope("api", ["urn:gatehouse:api"])]) });
  const form = (scope: string) => FormParameters.collect(new URLSearchParams({ grant_type: "client_credentials", scope }));

  it("RFC 6749 §4.4: a marked client gets it alone, for the API's audience only", async () => {
    const issued = await clientCredentialsGrant(grantDeps(), marked, form(MANAGEMENT_SCOPE));
    expect(issued.body.scope).toBe(MANAGEMENT_SCOPE);
    const payload = JSON.parse(Buffer.from(issued.body.access_token.split(".")[1]!, "base64url").toString()) as { aud: string };
    expect(payload.aud).toBe(`${fx.config.issuer}/api/v1`);
  });

  it("RFC 6749 §5.2 invalid_scope: an unmarked client, or the scope with another", async () => {
    await expect(clientCredentialsGrant(grantDeps(), unmarked, form(MANAGEMENT_SCOPE))).rejects.toMatchObject({ code: "invalid_scope" });
    await expect(clientCredentialsGrant(grantDeps(), marked, form(`${MANAGEMENT_SCOPE} api`))).rejects.toMatchObject({ code: "invalid_scope" });
  });

  it("checkClientScopes (authorization code, refresh) never resolves it, whatever the client's permissions and the scopes table say", () => {
    const permitted = makeClient({ managementApi: true, permissions: [`scp:${MANAGEMENT_SCOPE}`] });
    expect(() => checkClientScopes(permitted, ["openid", MANAGEMENT_SCOPE], [makeScope(MANAGEMENT_SCOPE, [managementAudience(fx.config)])])).toThrow(OAuthError);
  });
});
