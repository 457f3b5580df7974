// The dashboard's key rotation button: which algorithm's key to replace
// (or all). Shared by the button and the server action that re-checks it.
import { z } from "zod";

export const keyRotationInput = z.object({ alg: z.enum(["all", "RS256", "ES256"], "Choose RS256, ES256 or all.") });
export type KeyRotationInput = z.input<typeof keyRotationInput>;
