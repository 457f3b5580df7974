"use server";
// The signing keys page's one action. adminAction re-checks the session, the
// admin role and the input on every call; the operation is the management
// API's too (lib/management/keyOperations.ts).
import { adminAction } from "@/lib/next/guards";
import { keyRotationInput } from "@/lib/forms/keyRotation";
import { rotateSigningKeysOperation } from "@/lib/management/keyOperations";

export const rotateSigningKeysAction = adminAction(keyRotationInput, (input, { operation }) => rotateSigningKeysOperation(operation, input));
