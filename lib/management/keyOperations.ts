// Signing key rotation, shared by the dashboard's signing keys page and the
// management API: the running server's rotation (lib/gatehouse.ts), audited.
import { actionOk, type ActionResult } from "../forms/actionResult";
import type { KeyRotationInput } from "../forms/keyRotation";
import type { OperationContext } from "./context";

export async function rotateSigningKeysOperation(
  context: OperationContext,
  { alg }: { alg: KeyRotationInput["alg"] },
): Promise<ActionResult<{ created: string[]; retiring: string[]; retireAfter: string }>> {
  const report = await context.rotateSigningKeys(alg === "all" ? undefined : [alg]);
  await context.audit({
    kind: "admin.keys.rotated",
    details: {
      created: report.created,
      retiring: report.retiring,
      retired: report.retired,
      retireAfter: report.retireAfter.toISOString(),
    },
  });
  return actionOk({ created: report.created.map((key) => key.kid), retiring: report.retiring, retireAfter: report.retireAfter.toISOString() });
}
