"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { getGatehouse } from "@/lib/gatehouse";
import { recordConsentDecision } from "@/lib/oauth/consent";
import { currentPortalSession, requestClientAddress } from "@/lib/next/session";

const consentFormSchema = z.object({
  interaction: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  decision: z.enum(["allow", "deny"]),
  scope: z.array(z.string().max(200)).max(100),
});

/** The consent form's action: re-checks the session on every call, whatever the page showed. */
export async function decideConsent(formData: FormData): Promise<void> {
  // A hand-made action call can pass anything: treat a missing form like an invalid one (not a 500).
  if (!(formData instanceof FormData)) redirect("/consent?error=invalid");
  const parsed = consentFormSchema.safeParse({
    interaction: formData.get("interaction"),
    decision: formData.get("decision"),
    scope: formData.getAll("scope"),
  });
  if (!parsed.success) redirect("/consent?error=invalid");
  const { interaction, decision, scope } = parsed.data;
  const session = await currentPortalSession();
  if (!session) redirect(`/login?interaction=${interaction}`);
  const gatehouse = await getGatehouse();
  const outcome = await recordConsentDecision(
    gatehouse.consent,
    interaction,
    session,
    decision === "allow" ? { decision, scopes: scope } : { decision },
    await requestClientAddress(),
  );
  redirect(outcome.status === "recorded" ? outcome.location : `/consent?interaction=${interaction}`);
}
