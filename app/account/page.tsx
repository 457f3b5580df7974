import type { Metadata } from "next";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { AppShell } from "@/components/AppShell";
import { signOut } from "@/app/logout/actions";
import { PasswordForm } from "@/components/account/PasswordForm";
import { ProfileForm } from "@/components/account/ProfileForm";
import { SessionSignOutButton } from "@/components/account/SessionSignOutButton";
import { shortUserAgent } from "@/components/account/shortUserAgent";
import { DateTime, ScopeList, formatDateTime } from "@/components/grants/format";
import { ActionButton } from "@/components/ui/ActionButton";
import { Alert } from "@/components/ui/Alert";
import { Cell, Table } from "@/components/ui/Table";
import { isAdmin } from "@/lib/auth/roles";
import { requireSignedInPage } from "@/lib/next/guards";
import { listActiveSessionsOfUser, readAccountProfile } from "@/lib/db/account";
import { listAuthorizations } from "@/lib/db/grants";
import { getGatehouse } from "@/lib/gatehouse";
import { changePassword, endSession, updateProfile, withdrawConsent } from "./actions";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "My account" };

function Section({ id, title, description, children }: { id: string; title: string; description?: ReactNode; children: ReactNode }) {
  return (
    <section aria-labelledby={`${id}-heading`} className="space-y-3 rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
      <div className="space-y-1">
        <h2 id={`${id}-heading`} className="text-lg font-semibold text-slate-900">
          {title}
        </h2>
        {description ? <p className="text-sm text-slate-600">{description}</p> : null}
      </div>
      {children}
    </section>
  );
}

export default async function AccountPage() {
  const session = await requireSignedInPage("/account");
  const { db } = await getGatehouse();
  const now = new Date();
  const [profile, authorizations, sessions] = await Promise.all([
    readAccountProfile(db.sql, session.userId),
    listAuthorizations(db, { userId: session.userId }, { now }),
    listActiveSessionsOfUser(db.sql, session.userId, now),
  ]);
  // The session row was valid a moment ago; a user deleted since then signs in again (and cannot).
  if (!profile) redirect("/login?returnTo=%2Faccount");

  return (
    <AppShell user={session} signOut={signOut} admin={isAdmin(session)} title="My account" description="Your profile, your password, the apps you let in and where you are signed in.">
      <div className="grid gap-6 lg:grid-cols-2">
        <Section id="profile" title="Profile">
          <ProfileForm
            action={updateProfile}
            username={profile.username}
            defaultValues={{ name: profile.name, email: profile.email ?? "", currentPassword: "" }}
            emailVerified={profile.emailVerified}
          />
        </Section>
        <Section id="password" title="Password">
          {profile.hasPassword ? (
            <PasswordForm action={changePassword} />
          ) : (
            <Alert kind="info">Your account has no password; an administrator can set one.</Alert>
          )}
        </Section>
      </div>

      <Section
        id="apps"
        title="Authorized apps"
        description="Apps you allowed to use your account. Revoking one signs it out of your account: its tokens stop working, and it has to ask you again."
      >
        {authorizations.items.length === 0 ? (
          <p className="text-sm text-slate-700">You have not allowed any app to use your account.</p>
        ) : (
          <ul className="divide-y divide-slate-200">
            {authorizations.items.map((authorization) => (
              <li key={authorization.id} className="flex flex-wrap items-start justify-between gap-4 py-4">
                <div className="space-y-2">
                  <h3 className="font-semibold text-slate-900">{authorization.clientDisplayName}</h3>
                  <p className="text-xs text-slate-600">
                    Allowed <DateTime value={authorization.createdAt} />
                    {authorization.type === "ad-hoc" ? " for one sign-in" : null} · {authorization.liveTokens} active{" "}
                    {authorization.liveTokens === 1 ? "token" : "tokens"}
                  </p>
                  <div className="text-sm text-slate-800">
                    <span className="sr-only">Can: </span>
                    <ScopeList scopes={authorization.scopes} />
                  </div>
                </div>
                <ActionButton
                  action={withdrawConsent}
                  input={{ authorizationId: authorization.id }}
                  label="Revoke"
                  pendingLabel="Revoking…"
                  variant="danger"
                  accessibleLabel={`Revoke access for ${authorization.clientDisplayName}`}
                  confirm={`Revoke access for ${authorization.clientDisplayName}? It will have to ask you again.`}
                />
              </li>
            ))}
          </ul>
        )}
      </Section>

      <Section id="sessions" title="Where you are signed in" description="Signing out a session ends it at once, wherever it is.">
        <Table caption="Active sessions" columns={["Browser", "Signed in", "Last seen", "IP address", "Actions"]}>
          {sessions.map((row) => {
            const current = row.id === session.sessionId;
            const browser = shortUserAgent(row.userAgent);
            return (
              <tr key={row.id} aria-current={current ? "true" : undefined} className={current ? "bg-indigo-50" : undefined}>
                <Cell>
                  <span title={row.userAgent ?? undefined}>{browser}</span>
                  {current ? <span className="ml-2 rounded bg-indigo-700 px-1.5 py-0.5 text-xs font-semibold text-white">This session</span> : null}
                </Cell>
                <Cell>
                  <DateTime value={row.authTime} />
                </Cell>
                <Cell>
                  <DateTime value={row.lastSeenAt} />
                </Cell>
                <Cell>{row.ip ?? "Unknown"}</Cell>
                <Cell>
                  <SessionSignOutButton
                    action={endSession}
                    sessionId={row.id}
                    current={current}
                    description={`${browser}, signed in ${formatDateTime(row.authTime)}${row.ip ? ` from ${row.ip}` : ""}`}
                  />
                </Cell>
              </tr>
            );
          })}
        </Table>
      </Section>
    </AppShell>
  );
}
