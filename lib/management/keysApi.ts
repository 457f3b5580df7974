// /api/v1/signing-keys: list the signing keys (never their private halves) and
// rotate them, as on the dashboard's signing keys page.
import { z } from "zod";
import { listSigningKeys } from "../db/keyRotation";
import { keyRotationInput } from "../forms/keyRotation";
import { rotateSigningKeysOperation } from "./keyOperations";
import { answerOf, route } from "./routes";

const TAG = "Signing keys";

const signingKey = z
  .object({
    kid: z.string(),
    alg: z.enum(["RS256", "ES256"]),
    status: z.enum(["active", "retiring", "retired"]),
    created_at: z.iso.datetime(),
    retire_after: z.iso.datetime().nullable(),
  })
  .meta({ title: "SigningKey" });

export const keyRoutes = [
  route({
    method: "GET",
    path: "/signing-keys",
    operationId: "listSigningKeys",
    tag: TAG,
    summary: "List signing keys",
    description: "Active first, then retiring (published, never signing), then retired; newest first.",
    success: { status: 200, description: "The keys.", schema: z.object({ keys: z.array(signingKey) }) },
    async run({ operation }) {
      const keys = await listSigningKeys(operation.db);
      return {
        status: 200,
        body: {
          keys: keys.map((key) => ({
            kid: key.kid,
            alg: key.alg,
            status: key.status,
            created_at: key.createdAt.toISOString(),
            retire_after: key.retireAfter?.toISOString() ?? null,
          })),
        },
      };
    },
  }),
  route({
    method: "POST",
    path: "/signing-keys/rotate",
    operationId: "rotateSigningKeys",
    tag: TAG,
    summary: "Rotate signing keys",
    description: "A new active key for one algorithm, or for each; the previous one stays published as retiring until every token it signed has expired.",
    body: keyRotationInput,
    success: {
      status: 200,
      description: "What changed.",
      schema: z.object({ created: z.array(z.string()), retiring: z.array(z.string()), retire_after: z.iso.datetime() }),
    },
    async run({ body, operation }) {
      return answerOf(await rotateSigningKeysOperation(operation, body), (data) => ({
        status: 200,
        body: { created: data.created, retiring: data.retiring, retire_after: data.retireAfter },
      }));
    },
  }),
];
