// What the new and edit pages give the client form: the scope checkboxes and
// the server defaults an empty lifetime field stands for.
import { listScopeChoices } from "@/lib/db/clientAdmin";
import type { LifetimeField } from "@/lib/forms/clientForm";
import type { Gatehouse } from "@/lib/gatehouse";
import { AUTHORIZATION_CODE_MAX_LIFETIME } from "@/lib/oauth/authorize";
import { DEFAULT_REFRESH_TOKEN_ABSOLUTE_LIFETIME, DEFAULT_REFRESH_TOKEN_LIFETIME } from "@/lib/oauth/grants/refreshToken";
import { DEFAULT_ID_TOKEN_LIFETIME } from "@/lib/oauth/idTokens";
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
  return { scopes, lifetimeDefaults };
}
