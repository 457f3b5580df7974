import type { Metadata } from "next";
import type { ReactNode } from "react";
import { AppShell } from "@/components/AppShell";
import { signOut } from "@/app/logout/actions";
import { DateTime } from "@/components/grants/format";
import { RotateKeysButtons } from "@/components/keys/RotateKeysButtons";
import { Cell, Table } from "@/components/ui/Table";
import { requireAdminPage } from "@/lib/next/guards";
import { listSigningKeys, type SigningKeySummary } from "@/lib/db/keyRotation";
import { getGatehouse } from "@/lib/gatehouse";
import { isPublishedKey } from "@/lib/oauth/signingKeys";
import { rotateSigningKeysAction } from "./actions";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Signing keys" };

/** What a key does now (a retiring key past its date is no longer published, as the key ring sees it). */
function keyState(key: SigningKeySummary, now: Date): { label: string; detail: ReactNode } {
  if (!isPublishedKey(key, now.getTime())) return { label: "Retired", detail: "No longer published or trusted" };
  if (key.status === "active") return { label: "Active", detail: "Signs new tokens; published" };
  if (key.retireAfter) {
    return {
      label: "Retiring",
      detail: (
        <>
          Verifies tokens it signed; published until <DateTime value={key.retireAfter} />
        </>
      ),
    };
  }
  return { label: "Retired", detail: "No longer published or trusted" };
}

export default async function SigningKeysPage() {
  const session = await requireAdminPage("/dashboard/keys");
  const { db, settings } = await getGatehouse();
  const keys = await listSigningKeys(db);
  const now = new Date();
  return (
    <AppShell
      user={session}
      signOut={signOut}
      admin
      title="Signing keys"
      description={
        <>
          Tokens are signed with the active key of their algorithm and checked against{" "}
          <a href="/.well-known/jwks.json" className="font-medium text-indigo-700 underline">
            /.well-known/jwks.json
          </a>
          . Rotating makes a new active key; the old one stays published until every token it signed has expired, so
          nothing in flight breaks. Other server instances switch within {settings.keyRefreshSeconds} seconds.
        </>
      }
    >
      <section aria-labelledby="rotate-heading" className="space-y-3">
        <h2 id="rotate-heading" className="text-lg font-semibold text-slate-900">
          Rotate
        </h2>
        <p className="text-sm text-slate-600">Rotate on a schedule, and at once if a private key may have leaked. Tokens already issued stay valid.</p>
        <RotateKeysButtons action={rotateSigningKeysAction} />
      </section>
      <section aria-labelledby="keys-heading" className="space-y-3">
        <h2 id="keys-heading" className="text-lg font-semibold text-slate-900">
          Keys
        </h2>
        <Table caption="Signing keys" columns={["Algorithm", "Key ID (kid)", "State", "Created"]} empty={keys.length ? undefined : "No keys yet."}>
          {keys.map((key) => {
            const state = keyState(key, now);
            return (
              <tr key={key.kid}>
                <Cell className="font-mono">{key.alg}</Cell>
                <Cell className="break-all font-mono text-xs">{key.kid}</Cell>
                <Cell>
                  <span className="block font-medium">{state.label}</span>
                  <span className="block text-slate-600">{state.detail}</span>
                </Cell>
                <Cell>
                  <DateTime value={key.createdAt} />
                </Cell>
              </tr>
            );
          })}
        </Table>
      </section>
    </AppShell>
  );
}
