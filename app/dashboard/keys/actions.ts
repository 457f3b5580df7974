"use server";
// The signing keys page's one action. adminAction re-checks the session, the
// admin role and the input on every call.
import { actionOk } from "@/lib/forms/actionResult";
import { adminAction } from "@/lib/next/guards";
import { keyRotationInput } from "@/lib/forms/keyRotation";

export const rotateSigningKeysAction = adminAction(keyRotationInput, async ({ alg }, { audit, gatehouse }) => {
  const report = await gatehouse.rotateSigningKeys(alg === "all" ? undefined : [alg]);
  await audit({
    kind: "admin.keys.rotated",
    details: {
      created: report.created,
      retiring: report.retiring,
      retired: report.retired,
      retireAfter: report.retireAfter.toISOString(),
    },
  });
  return actionOk({ created: report.created.map((key) => key.kid) });
});
