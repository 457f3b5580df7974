// What the new and edit pages give the client form: the scope checkboxes and
// the server defaults an empty lifetime field (or "Server default" signing
// algorithm) stands for.
import { listScopeChoices } from "@/lib/db/clientAdmin";
import type { LifetimeField, SigningAlgorithmField } from "@/lib/forms/clientForm";
import type { Gatehouse } from "@/lib/gatehouse";
import { AUTHORIZATION_CODE_MAX_LIFETIME } from "@/lib/oauth/authorize";
import { DEFAULT_REFRESH_TOKEN_ABSOLUTE_LIFETIME, DEFAULT_REFRESH_TOKEN_LIFETIME } from "@/lib/oauth/grants/refreshToken";
import { DEFAULT_ID_TOKEN_LIFETIME, DEFAULT_ID_TOKEN_SIGNING_ALG } from "@/lib/oauth/idTokens";
import type { SigningAlgorithm } from "@/lib/oauth/ports";
import { StandardScopes } from "@/lib/oauth/scopes";

export async function loadClientFormData(gatehouse: Pick<Gatehouse, "db" | "config">) {
  const scopes = (await listScopeChoices(gatehouse.db)).filter((scope) => scope.name !== StandardScopes.openid);
  const lifetimeDefaults: Record<LifetimeField, number> = {
    accessTokenLifetime: gatehouse.config.accessTokenLifetime,
    authorizationCodeLifetime: AUTHORIZATION_CODE_MAX_LIFETIME,
    idTokenLifetime: DEFAULT_ID_TOKEN_LIFETIME,
    refreshTokenLifetime: DEFAULT_REFRESH_TOKEN_LIFETIME,
    refreshTokenAbsoluteLifetime: DEFAULT_REFRESH_TOKEN_ABSOLUTE_LIFETIME,
  };
  const signingAlgorithmDefaults: Record<SigningAlgorithmField, SigningAlgorithm> = {
    idTokenSigningAlg: DEFAULT_ID_TOKEN_SIGNING_ALG,
    accessTokenSigningAlg: gatehouse.config.accessTokenSigningAlg,
  };
  return { scopes, lifetimeDefaults, signingAlgorithmDefaults };
}
