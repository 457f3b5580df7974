// What applying a config file would change (docs/decisions/0021-config-as-code.md):
// the declared clients and scopes against the stored ones, compared as the
// dashboard form reads them (so a second apply finds nothing to do). Pure: the
// stored state and the secrets come in as values.
import type { AdminScope } from "../db/scopeAdmin";
import {
  clientFormValuesFromClient,
  clientSettingsFromForm,
  LIFETIME_FIELD_NAMES,
  SIGNING_ALGORITHM_FIELD_NAMES,
  type ClientSettings,
} from "../forms/clientForm";
import type { ClientRecord } from "../oauth/ports";
import { clientSecretMatches } from "../oauth/secrets";
import { CLIENT_FIELD_NAMES } from "./clientsApi";
import type { ConfigDocument, ConfigProblem, DeclaredClient, DeclaredScope } from "./configFile";

export type StoredScope = Pick<AdminScope, "id" | "name" | "displayName" | "description" | "resources" | "claims" | "accessTokenClaims" | "standard">;

export interface StoredState {
  clients: ClientRecord[];
  scopes: StoredScope[];
}

export type ConfigChange =
  | { action: "create"; kind: "scope"; name: string; declared: DeclaredScope }
  | { action: "update"; kind: "scope"; name: string; fields: string[]; declared: DeclaredScope; stored: StoredScope }
  | { action: "create"; kind: "client"; name: string; declared: DeclaredClient }
  | { action: "update"; kind: "client"; name: string; fields: string[]; declared: DeclaredClient; stored: ClientRecord }
  | { action: "delete"; kind: "client"; name: string; stored: ClientRecord }
  /** `refusal`: why the scope operation will refuse it (clients that may still request it). */
  | { action: "delete"; kind: "scope"; name: string; stored: StoredScope; refusal: string | null };

export interface ConfigPlan {
  /** In the order apply runs them: scopes before the clients that need them, deletions last. */
  changes: ConfigChange[];
  unchanged: number;
  /** Stored but not declared, and kept because --prune was not given (standard scopes are never listed). */
  undeclared: { clients: string[]; scopes: string[] };
}

/** The stored client as the form (and so a declared client) would hold it. */
export function storedClientSettings(client: ClientRecord): ClientSettings {
  const values = clientFormValuesFromClient(client);
  return clientSettingsFromForm({ ...values, clientId: client.clientId, grantTypes: values.grantTypes ?? [], scopes: values.scopes ?? [] } as Parameters<typeof clientSettingsFromForm>[0]);
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((value, index) => value === b[index]);
const sameSet = (a: readonly string[], b: readonly string[]) => sameList([...new Set(a)].sort(), [...new Set(b)].sort());

/** The settings that differ, by their RFC 7591 (file) names. */
export function changedClientFields(declared: ClientSettings, stored: ClientSettings): string[] {
  const fields: string[] = [];
  const differs = (name: string, same: boolean) => {
    if (!same) fields.push(name);
  };
  differs(CLIENT_FIELD_NAMES.displayName!, declared.displayName === stored.displayName);
  differs(CLIENT_FIELD_NAMES.clientType!, declared.clientType === stored.clientType);
  differs(CLIENT_FIELD_NAMES.consentType!, declared.consentType === stored.consentType);
  differs(CLIENT_FIELD_NAMES.redirectUris!, sameList(declared.redirectUris, stored.redirectUris));
  differs(CLIENT_FIELD_NAMES.postLogoutRedirectUris!, sameList(declared.postLogoutRedirectUris, stored.postLogoutRedirectUris));
  differs(CLIENT_FIELD_NAMES.grantTypes!, sameSet(declared.grantTypes, stored.grantTypes));
  differs(CLIENT_FIELD_NAMES.scopes!, sameSet(declared.scopes, stored.scopes));
  for (const name of LIFETIME_FIELD_NAMES) differs(CLIENT_FIELD_NAMES[name]!, declared.lifetimes[name] === stored.lifetimes[name]);
  for (const name of SIGNING_ALGORITHM_FIELD_NAMES) differs(CLIENT_FIELD_NAMES[name]!, declared.signingAlgorithms[name] === stored.signingAlgorithms[name]);
  return fields;
}

/** What an apply would change on one stored client: its settings, its enabled flag, its secret. */
function clientChanges(declared: DeclaredClient, stored: ClientRecord, secret: string | undefined): string[] {
  const fields = changedClientFields(declared.settings, storedClientSettings(stored));
  if (declared.enabled !== null && declared.enabled !== stored.enabled) fields.push("enabled");
  // The secret is compared with the stored SHA-256 hashes; it is set whenever none of them matches.
  if (secret !== undefined && !(stored.clientType === "confidential" && clientSecretMatches(secret, stored.clientSecretHashes))) {
    fields.push("client_secret");
  }
  return fields;
}

export function changedScopeFields(declared: DeclaredScope, stored: StoredScope): string[] {
  const { write } = declared;
  const fields: string[] = [];
  if (write.displayName !== stored.displayName) fields.push("display_name");
  if (write.description !== stored.description) fields.push("description");
  if (!sameSet(write.resources, stored.resources)) fields.push("resources");
  if (!sameSet(write.claims, stored.claims)) fields.push("claims");
  if (!sameSet(write.accessTokenClaims, stored.accessTokenClaims)) fields.push("access_token_claims");
  return fields;
}

/**
 * Problems only the stored state shows: a client's scope that is neither declared nor stored (the client
 * operation would refuse it). Reported like the file's own problems, before anything changes.
 */
export function storedStateProblems(config: ConfigDocument, stored: StoredState): ConfigProblem[] {
  const known = new Set([...stored.scopes.map((scope) => scope.name), ...config.scopes.map((scope) => scope.name)]);
  return config.clients.flatMap((client) => {
    const missing = client.settings.scopes.filter((scope) => !known.has(scope));
    return missing.length === 0
      ? []
      : [{ path: `${client.path}.scope`, message: `No such scope: ${missing.join(", ")}. Declare it under scopes, or create it first.` }];
  });
}

/** The changes that make the store match the file; deletions only with `prune`. */
export function planChanges(config: ConfigDocument, stored: StoredState, secrets: ReadonlyMap<string, string>, options: { prune: boolean }): ConfigPlan {
  const changes: ConfigChange[] = [];
  let unchanged = 0;
  const storedScopes = new Map(stored.scopes.map((scope) => [scope.name, scope]));
  const storedClients = new Map(stored.clients.map((client) => [client.clientId, client]));

  for (const declared of config.scopes) {
    const current = storedScopes.get(declared.name);
    if (!current) {
      changes.push({ action: "create", kind: "scope", name: declared.name, declared });
      continue;
    }
    const fields = changedScopeFields(declared, current);
    if (fields.length > 0) changes.push({ action: "update", kind: "scope", name: declared.name, fields, declared, stored: current });
    else unchanged++;
  }
  for (const declared of config.clients) {
    const current = storedClients.get(declared.clientId);
    if (!current) {
      changes.push({ action: "create", kind: "client", name: declared.clientId, declared });
      continue;
    }
    const fields = clientChanges(declared, current, secrets.get(declared.clientId));
    if (fields.length > 0) changes.push({ action: "update", kind: "client", name: declared.clientId, fields, declared, stored: current });
    else unchanged++;
  }

  const declaredClients = new Set(config.clients.map((client) => client.clientId));
  const declaredScopes = new Set(config.scopes.map((scope) => scope.name));
  const extraClients = stored.clients.filter((client) => !declaredClients.has(client.clientId));
  // The standard OpenID Connect scopes exist on every installation: never pruned, never "undeclared".
  const extraScopes = stored.scopes.filter((scope) => !scope.standard && !declaredScopes.has(scope.name));
  if (!options.prune) {
    return { changes, unchanged, undeclared: { clients: extraClients.map((client) => client.clientId), scopes: extraScopes.map((scope) => scope.name) } };
  }
  for (const client of extraClients) changes.push({ action: "delete", kind: "client", name: client.clientId, stored: client });
  for (const scope of extraScopes) {
    // After the apply only the declared clients remain: those that still list the scope keep it in use.
    const users = config.clients.filter((client) => client.settings.scopes.includes(scope.name)).map((client) => client.clientId);
    const refusal = users.length > 0 ? `still requested by ${users.join(", ")}; the scope operation refuses to delete a scope in use` : null;
    changes.push({ action: "delete", kind: "scope", name: scope.name, stored: scope, refusal });
  }
  return { changes, unchanged, undeclared: { clients: [], scopes: [] } };
}

/** One line per change, for plan and apply alike. */
export function describeChange(change: ConfigChange): string {
  switch (change.action) {
    case "create":
      return `+ create ${change.kind} ${change.name}`;
    case "update":
      return `~ update ${change.kind} ${change.name}: ${change.fields.join(", ")}`;
    case "delete":
      return `- delete ${change.kind} ${change.name}${change.kind === "scope" && change.refusal ? ` (will be refused: ${change.refusal})` : ""}`;
  }
}

function counted(count: number, what: string): string {
  return `${count} ${what}`;
}

/** The plan as `plan` prints it. */
export function describePlan(plan: ConfigPlan): string[] {
  const lines = plan.changes.map(describeChange);
  const by = (action: ConfigChange["action"]) => plan.changes.filter((change) => change.action === action).length;
  lines.push(
    plan.changes.length === 0
      ? `No changes: ${counted(plan.unchanged, "unchanged")}.`
      : `Plan: ${counted(by("create"), "to create")}, ${counted(by("update"), "to update")}, ${counted(by("delete"), "to delete")}, ${counted(plan.unchanged, "unchanged")}.`,
  );
  const { clients, scopes } = plan.undeclared;
  if (clients.length + scopes.length > 0) {
    const kept = [clients.length ? `clients ${clients.join(", ")}` : null, scopes.length ? `scopes ${scopes.join(", ")}` : null].filter(Boolean).join("; ");
    lines.push(`Not in the file, kept (--prune deletes them): ${kept}.`);
  }
  return lines;
}
