// Scope management, shared by the dashboard's server actions and the management
// API. Inputs are already checked by the scope form's schemas (lib/forms/scopeForm.ts).
import { createScope, deleteScope, updateScope, type AdminScope, type ScopeWrite } from "../db/scopeAdmin";
import { actionError, actionOk, type ActionResult } from "../forms/actionResult";
import { resourcesFromText } from "../forms/scopeForm";
import type { OperationContext } from "./context";

type ScopeFieldValues = Omit<ScopeWrite, "resources"> & { resources: string };

function toScopeWrite(fields: ScopeFieldValues): ScopeWrite {
  return {
    displayName: fields.displayName,
    description: fields.description,
    resources: resourcesFromText(fields.resources),
    claims: fields.claims,
    accessTokenClaims: fields.accessTokenClaims,
  };
}

/** What an audit entry says about a scope (its whole definition: nothing in it is secret). */
function described(scope: AdminScope) {
  const { displayName, description, resources, claims, accessTokenClaims } = scope;
  return { displayName, description, resources, claims, accessTokenClaims };
}

export async function createScopeOperation(context: OperationContext, input: ScopeFieldValues & { name: string }): Promise<ActionResult<{ id: string; name: string }>> {
  const result = await createScope(context.db, { name: input.name, ...toScopeWrite(input) });
  if (result.status === "name_taken") {
    return actionError(409, `A scope named "${input.name}" already exists.`, { name: ["This name is taken; scope names are unique."] });
  }
  await context.audit({ kind: "admin.scope.created", details: { scope: result.scope.name, ...described(result.scope) } });
  return actionOk({ id: result.scope.id, name: result.scope.name });
}

export async function updateScopeOperation(context: OperationContext, input: ScopeFieldValues & { id: string }): Promise<ActionResult<{ id: string; name: string }>> {
  const result = await updateScope(context.db, input.id, toScopeWrite(input));
  if (result.status === "not_found") return actionError(404, "This scope no longer exists; it may have been deleted.");
  if (result.status === "standard_fixed") {
    return actionError(409, "The claims and resources of a standard OpenID Connect scope are fixed; only its texts and access-token claims can change.", {
      claims: ["Defined by OpenID Connect; cannot change."],
    });
  }
  const after = described(result.scope);
  const before = described(result.previous);
  const changed = (Object.keys(after) as (keyof typeof after)[]).filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
  await context.audit({ kind: "admin.scope.updated", details: { scope: result.scope.name, changed, ...after } });
  return actionOk({ id: result.scope.id, name: result.scope.name });
}

export async function deleteScopeOperation(context: OperationContext, { id }: { id: string }): Promise<ActionResult<{ name: string }>> {
  const result = await deleteScope(context.db, id);
  switch (result.status) {
    case "not_found":
      return actionError(404, "This scope no longer exists; it may have been deleted already.");
    case "standard":
      return actionError(409, "Standard OpenID Connect scopes cannot be deleted: client libraries request them by name.");
    case "in_use": {
      const names = result.clients.map((client) => `${client.displayName} (${client.clientId})`).join(", ");
      const count = result.clients.length === 1 ? "1 client" : `${result.clients.length} clients`;
      return actionError(409, `The scope "${result.name}" cannot be deleted: ${count} may still request it: ${names}. Remove the scope from those clients first.`);
    }
    case "deleted":
      await context.audit({ kind: "admin.scope.deleted", details: { scope: result.scope.name, ...described(result.scope) } });
      return actionOk({ name: result.scope.name });
  }
}
