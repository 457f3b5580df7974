// Client management, shared by the dashboard's server actions and the
// management API. Inputs are already checked by the clientForm schemas
// (lib/forms/clientForm.ts). Secrets are generated here, returned once to the
// caller that asked, and stored only as SHA-256 hashes (lib/oauth/secrets.ts);
// they never reach the audit log.
import {
  deleteClient as deleteClientRow,
  insertClient,
  replaceClientSecretHashes,
  setClientEnabled as setClientEnabledRow,
  setClientManagementApi,
  UnknownScopesError,
  updateClient as updateClientRow,
  type ClientChange,
} from "../db/clientAdmin";
import { actionError, actionOk, type ActionResult } from "../forms/actionResult";
import {
  clientPermissions,
  clientRequirements,
  clientSettingsFromForm,
  mergePermissions,
  type ClientSettings,
  type createClientSchema,
  type SavedClient,
  type updateClientSchema,
} from "../forms/clientForm";
import type { ClientRecord } from "../oauth/ports";
import { generateClientSecret, hashClientSecret, randomTokenValue } from "../oauth/secrets";
import type { OperationContext } from "./context";
import type { z } from "zod";

const GONE = "This client no longer exists; it may have been deleted meanwhile.";

/** Runs a save; a scope that does not exist (or was just deleted) becomes a message on the scopes field. */
async function withKnownScopes<T>(save: () => Promise<T>): Promise<T | ReturnType<typeof actionError>> {
  try {
    return await save();
  } catch (error) {
    if (!(error instanceof UnknownScopesError)) throw error;
    return actionError(400, "Check the highlighted fields.", { scopes: [`No such scope: ${error.scopes.join(", ")}. Reload the page to see the current scopes.`] });
  }
}

/** The stored columns for the form's settings; secrets, kept permissions and requirements come from the caller. */
function changeFor(settings: ClientSettings, current: Pick<ClientRecord, "permissions" | "requirements"> | null, clientSecretHashes: string[]): ClientChange {
  return {
    displayName: settings.displayName,
    clientType: settings.clientType,
    consentType: settings.consentType,
    clientSecretHashes,
    redirectUris: settings.redirectUris,
    postLogoutRedirectUris: settings.postLogoutRedirectUris,
    permissions: mergePermissions(current?.permissions ?? [], clientPermissions(settings)),
    requirements: clientRequirements(current?.requirements ?? []),
    ...settings.lifetimes,
    ...settings.signingAlgorithms,
  };
}

/** For the audit log: which settings an update changed (names only, never values of secrets). */
function changedFields(before: ClientRecord, after: ClientRecord): string[] {
  const fields = [
    "displayName",
    "clientType",
    "consentType",
    "redirectUris",
    "postLogoutRedirectUris",
    "permissions",
    "requirements",
    "accessTokenLifetime",
    "authorizationCodeLifetime",
    "idTokenLifetime",
    "refreshTokenLifetime",
    "refreshTokenAbsoluteLifetime",
    "idTokenSigningAlg",
    "accessTokenSigningAlg",
    "clientSecretHashes",
  ] as const;
  return fields.filter((field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]));
}

/**
 * `options.secret`: a confidential client's secret chosen by the caller (config files name it in an
 * environment variable, lib/management/configApply.ts); otherwise one is generated.
 */
export async function createClientOperation(
  context: OperationContext,
  input: z.output<typeof createClientSchema>,
  options: { secret?: string } = {},
): Promise<ActionResult<SavedClient>> {
  const settings = clientSettingsFromForm(input);
  const clientId = input.clientId || randomTokenValue(16);
  const secret = settings.clientType === "confidential" ? (options.secret ?? generateClientSecret()) : null;
  const result = await withKnownScopes(() => insertClient(context.db, { clientId, ...changeFor(settings, null, secret ? [hashClientSecret(secret)] : []) }));
  if ("ok" in result) return result;
  if (result.status === "client_id_taken") {
    return actionError(409, "That client ID is taken.", { clientId: [`A client with the client ID ${clientId} already exists; choose another.`] });
  }
  await context.audit({
    kind: "admin.client.created",
    clientId,
    details: { displayName: settings.displayName, clientType: settings.clientType, grantTypes: settings.grantTypes, scopes: settings.scopes },
  });
  return actionOk<SavedClient>({ id: result.client.id, clientId, secret });
}

export async function updateClientOperation(context: OperationContext, input: z.output<typeof updateClientSchema>): Promise<ActionResult<SavedClient>> {
  const settings = clientSettingsFromForm(input);
  let secret: string | null = null;
  const outcome = await withKnownScopes(() =>
    updateClientRow(context.db, input.id, (current) => {
      let hashes = current.clientSecretHashes;
      if (settings.clientType === "public") {
        hashes = []; // a public client has no secret; a leftover one must not keep working
      } else if (current.clientType === "public" || hashes.length === 0) {
        secret = generateClientSecret(); // just became confidential: it needs a secret to authenticate at all
        hashes = [hashClientSecret(secret)];
      }
      return changeFor(settings, current, hashes);
    }),
  );
  if (!outcome) return actionError(404, GONE);
  if ("ok" in outcome) return outcome;
  await context.audit({
    kind: "admin.client.updated",
    clientId: outcome.after.clientId,
    details: { changed: changedFields(outcome.before, outcome.after), secretIssued: secret !== null },
  });
  return actionOk<SavedClient>({ id: outcome.after.id, clientId: outcome.after.clientId, secret });
}

export async function setClientEnabledOperation(context: OperationContext, input: { id: string; enabled: boolean }): Promise<ActionResult<{ enabled: boolean }>> {
  const updated = await setClientEnabledRow(context.db, input.id, input.enabled);
  if (!updated) return actionError(404, GONE);
  await context.audit({ kind: input.enabled ? "admin.client.enabled" : "admin.client.disabled", clientId: updated.clientId });
  return actionOk({ enabled: input.enabled });
}

/**
 * Marks a confidential client for the management API, or unmarks it: from the next request on it may
 * (or may no longer) obtain gatehouse:admin, and an unmarked client's live management tokens are refused.
 */
export async function setClientManagementApiOperation(
  context: OperationContext,
  input: { id: string; managementApi: boolean },
): Promise<ActionResult<{ managementApi: boolean }>> {
  const updated = await setClientManagementApi(context.db, input.id, input.managementApi);
  if (!updated) return actionError(404, "There is no confidential client to change; it may have been deleted or made public.");
  await context.audit({ kind: input.managementApi ? "admin.client.management_api_allowed" : "admin.client.management_api_withdrawn", clientId: updated.clientId });
  return actionOk({ managementApi: input.managementApi });
}

export async function deleteClientOperation(context: OperationContext, input: { id: string }): Promise<ActionResult<{ clientId: string }>> {
  const deleted = await deleteClientRow(context.db, input.id);
  if (!deleted) return actionError(404, GONE);
  await context.audit({
    kind: "admin.client.deleted",
    clientId: deleted.clientId,
    details: { authorizationsDeleted: deleted.authorizations, tokensDeleted: deleted.tokens },
  });
  return actionOk({ clientId: deleted.clientId });
}

/**
 * A new secret replaces every stored hash at once: the old secret is refused
 * from the next request on (see docs/decisions/0005-client-management.md).
 * `input.secret`: the caller's own (a config file's environment variable); otherwise one is generated.
 */
export async function rotateClientSecretOperation(
  context: OperationContext,
  input: { id: string; secret?: string },
): Promise<ActionResult<{ clientId: string; secret: string }>> {
  const secret = input.secret ?? generateClientSecret();
  const updated = await replaceClientSecretHashes(context.db, input.id, [hashClientSecret(secret)]);
  if (!updated) return actionError(404, "There is no confidential client to rotate a secret for; it may have been deleted or made public.");
  await context.audit({ kind: "admin.client.secret_rotated", clientId: updated.clientId });
  return actionOk({ clientId: updated.clientId, secret });
}
