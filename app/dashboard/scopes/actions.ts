"use server";
// Server actions of the dashboard's scope pages. adminAction checks the
// session, the admin role and the input (the form's own zod schema) on every
// call; the operations are the management API's too (lib/management/scopeOperations.ts).
import { adminAction } from "@/lib/next/guards";
import { createScopeOperation, deleteScopeOperation, updateScopeOperation } from "@/lib/management/scopeOperations";
import { createScopeSchema, scopeIdSchema, updateScopeSchema } from "@/lib/forms/scopeForm";

export const createScopeAction = adminAction(createScopeSchema, (input, { operation }) => createScopeOperation(operation, input));

export const updateScopeAction = adminAction(updateScopeSchema, (input, { operation }) => updateScopeOperation(operation, input));

export const deleteScopeAction = adminAction(scopeIdSchema, (input, { operation }) => deleteScopeOperation(operation, input));
