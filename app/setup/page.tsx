import type { Metadata } from "next";
import { PageShell } from "@/components/PageShell";
import { isSetupTokenUsable } from "@/lib/db/setupTokens";
import { getGatehouse } from "@/lib/gatehouse";
import { createFirstAdministrator } from "./actions";
import { SetupForm } from "./SetupForm";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Create the first administrator" };

/**
 * /setup?token=… — the one-time link Gatehouse prints at start while the
 * database has no administrator. Showing the form does not use the link;
 * creating the account does (checked again, atomically, by the action).
 */
export default async function SetupPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const token = typeof params.token === "string" ? params.token : "";
  const { db } = await getGatehouse();
  const usable = await isSetupTokenUsable(db.sql, token);
  // The form renders the action's answer too: after a successful post (also without JavaScript)
  // the link is used up, and the form shows the result instead of the refusal.
  return (
    <PageShell
      title="Create the first administrator"
      subtitle={
        usable
          ? "This Gatehouse has no administrator yet. The account you create here can manage clients, scopes and users. The link works once."
          : undefined
      }
    >
      <SetupForm action={createFirstAdministrator} token={usable ? token : ""} linkUsable={usable} />
    </PageShell>
  );
}
