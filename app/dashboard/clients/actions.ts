"use server";
// The dashboard's client actions. adminAction re-checks the session, the
// admin role and the input (the same zod schemas the form uses) on every call;
// the operations are the management API's too (lib/management/clientOperations.ts).
import { adminAction } from "@/lib/next/guards";
import {
  createClientOperation,
  deleteClientOperation,
  rotateClientSecretOperation,
  setClientEnabledOperation,
  setClientManagementApiOperation,
  updateClientOperation,
} from "@/lib/management/clientOperations";
import {
  clientEnabledSchema,
  clientManagementApiSchema,
  clientReferenceSchema,
  createClientSchema,
  updateClientSchema,
} from "@/lib/forms/clientForm";

export const createClient = adminAction(createClientSchema, (input, { operation }) => createClientOperation(operation, input));

export const updateClient = adminAction(updateClientSchema, (input, { operation }) => updateClientOperation(operation, input));

export const setClientEnabled = adminAction(clientEnabledSchema, (input, { operation }) => setClientEnabledOperation(operation, input));

export const setClientManagementApi = adminAction(clientManagementApiSchema, (input, { operation }) => setClientManagementApiOperation(operation, input));

export const deleteClient = adminAction(clientReferenceSchema, (input, { operation }) => deleteClientOperation(operation, input));

export const rotateClientSecret = adminAction(clientReferenceSchema, (input, { operation }) => rotateClientSecretOperation(operation, input));
