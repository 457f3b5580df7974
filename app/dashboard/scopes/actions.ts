"use server";
// Server actions of the dashboard's scope pages. adminAction checks the
// session, the admin role and the input (the form's own zod schema) on every call.
import { actionError, actionOk } from "@/lib/forms/actionResult";
import { adminAction } from "@/lib/next/guards";
import { createScope, deleteScope, updateScope, type AdminScope, type ScopeWrite } from "@/lib/db/scopeAdmin";
import { createScopeSchema, resourcesFromText, scopeIdSchema, updateScopeSchema } from "@/lib/forms/scopeForm";

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

export const createScopeAction = adminAction(createScopeSchema, async (input, { audit, gatehouse }) => {
  const result = await createScope(gatehouse.db, { name: input.name, ...toScopeWrite(input) });
  if (result.status === "name_taken") {
    return actionError(409, `A scope named "${input.name}" already exists.`, { name: ["This name is taken; scope names are unique."] });
  }
  await audit({ kind: "admin.scope.created", details: { scope: result.scope.name, ...described(result.scope) } });
  return actionOk({ id: result.scope.id, name: result.scope.name });
});

export const updateScopeAction = adminAction(updateScopeSchema, async (input, { audit, gatehouse }) => {
  const result = await updateScope(gatehouse.db, input.id, toScopeWrite(input));
  if (result.status === "not_found") return actionError(404, "This scope no longer exists; it may have been deleted.");
  if (result.status === "standard_fixed") {
    return actionError(409, "The claims and resources of a standard OpenID Connect scope are fixed; only its texts and access-token claims can change.", {
      claims: ["Defined by OpenID Connect; cannot change."],
    });
  }
  const after = described(result.scope);
  const before = described(result.previous);
  const changed = (Object.keys(after) as (keyof typeof after)[]).filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
  await audit({ kind: "admin.scope.updated", details: { scope: result.scope.name, changed, ...after } });
  return actionOk({ id: result.scope.id, name: result.scope.name });
});

export const deleteScopeAction = adminAction(scopeIdSchema, async ({ id }, { audit, gatehouse }) => {
  const result = await deleteScope(gatehouse.db, id);
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
      await audit({ kind: "admin.scope.deleted", details: { scope: result.scope.name, ...described(result.scope) } });
      return actionOk({ name: result.scope.name });
  }
});
