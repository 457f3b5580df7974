import type { Metadata } from "next";
import Link from "next/link";
import { PageShell } from "@/components/PageShell";
import { isSetupTokenUsable } from "@/lib/db/setupTokens";
import { SETUP_LINK_REFUSED } from "@/lib/forms/setupForm";
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
  if (!usable) {
    return (
      <PageShell title="Setup link not valid">
        <p role="alert" className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
          {SETUP_LINK_REFUSED}
        </p>
        <p className="mt-4 text-sm">
          <Link href="/login" className="font-medium text-indigo-700 underline">
            Sign in
          </Link>
        </p>
      </PageShell>
    );
  }
  return (
    <PageShell
      title="Create the first administrator"
      subtitle="This Gatehouse has no administrator yet. The account you create here can manage clients, scopes and users. The link works once."
    >
      <SetupForm action={createFirstAdministrator} token={token} />
    </PageShell>
  );
}
