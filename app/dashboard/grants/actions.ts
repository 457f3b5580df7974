"use server";
// Revocation from the dashboard's grants pages (one user's or one client's).
// The page's owner travels with each id and is matched in SQL, so a stale or
// edited page can only act on what that page listed. The operations are the
// management API's too (lib/management/grantOperations.ts).
import { adminAction } from "@/lib/next/guards";
import { revokeAuthorizationOperation, revokeTokenOperation } from "@/lib/management/grantOperations";
import { revokeAuthorizationInput, revokeTokenInput } from "@/lib/forms/grantActions";

export const revokeAuthorizationAsAdmin = adminAction(revokeAuthorizationInput, (input, { operation }) => revokeAuthorizationOperation(operation, input));

export const revokeTokenAsAdmin = adminAction(revokeTokenInput, (input, { operation }) => revokeTokenOperation(operation, input));
