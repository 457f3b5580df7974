import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import type { ReactNode } from "react";
import { AppShell } from "@/components/AppShell";
import { signOut } from "@/app/logout/actions";
import { ActionButton } from "@/components/ui/ActionButton";
import { Alert } from "@/components/ui/Alert";
import { DeleteUserButton } from "@/components/users/DeleteUserButton";
import { SignInThrottleStatus } from "@/components/users/SignInThrottleStatus";
import { requireAdminPage } from "@/lib/next/guards";
import { ADMIN_ROLE, findUserForAdmin } from "@/lib/db/userAdmin";
import { getGatehouse } from "@/lib/gatehouse";
import { flashText } from "../../flash";
import { clearSignInThrottleAction, deleteUserAction, disableUserAction, enableUserAction, grantAdminAction, removeAdminAction } from "../actions";
import { EditUserForm, ResetPasswordForm } from "../UserForms";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "User" };

function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section aria-labelledby={id} className="max-w-2xl space-y-3 border-t border-slate-200 pt-5">
      <h2 id={id} className="text-lg font-semibold text-slate-900">
        {title}
      </h2>
      {children}
    </section>
  );
}

export default async function UserPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { id } = await params;
  const session = await requireAdminPage(`/dashboard/users/${id}`);
  const { db, signInThrottle } = await getGatehouse();
  const user = await findUserForAdmin(db, id);
  if (!user) notFound();
  const throttle = await signInThrottle.accountState(user.id);
  const created = flashText((await searchParams).created);
  const isAdmin = user.roles.includes(ADMIN_ROLE);
  const isSelf = user.id === session.userId;
  return (
    <AppShell
      user={session}
      signOut={signOut}
      admin
      title={`User ${user.username}`}
      description={
        <>
          {user.enabled ? "Active" : "Disabled"} · {isAdmin ? "Administrator" : "User"} · {user.activeSessions} active {user.activeSessions === 1 ? "session" : "sessions"} ·{" "}
          {user.liveTokens} live {user.liveTokens === 1 ? "token" : "tokens"}
        </>
      }
      actions={
        <Link href={`/dashboard/users/${user.id}/grants`} className="text-sm font-medium text-indigo-700 underline">
          Authorizations and tokens
        </Link>
      }
    >
      {created ? <Alert kind="success">User {user.username} was created and can sign in now.</Alert> : null}
      <Section id="user-profile" title="Profile">
        <EditUserForm
          id={user.id}
          initial={{ username: user.username, email: user.email ?? "", name: user.name, emailVerified: user.emailVerified }}
        />
      </Section>
      <Section id="user-password" title="Password">
        <p className="text-sm text-slate-700">Setting a new password signs the user out of every browser.</p>
        <ResetPasswordForm id={user.id} username={user.username} />
      </Section>
      <Section id="user-sign-in-throttle" title="Sign-in throttle">
        <SignInThrottleStatus
          state={throttle}
          username={user.username}
          clearButton={
            <ActionButton
              action={clearSignInThrottleAction}
              input={{ id: user.id }}
              label="Clear sign-in throttle"
              confirm={`Forget the failed sign-ins counted for ${user.username}? Attempts from any address can start again without waiting.`}
            />
          }
        />
      </Section>
      <Section id="user-role" title="Administrator role">
        <p className="text-sm text-slate-700">
          {isAdmin ? `${user.username} can open this dashboard and change everything in it.` : `${user.username} cannot open the dashboard.`}
        </p>
        {isSelf && isAdmin ? (
          <p className="text-sm text-slate-700">You cannot remove your own admin role; another administrator can.</p>
        ) : isAdmin ? (
          <ActionButton action={removeAdminAction} input={{ id: user.id }} label="Remove admin role" confirm={`Remove the admin role from ${user.username}?`} />
        ) : (
          <ActionButton action={grantAdminAction} input={{ id: user.id }} label="Make administrator" confirm={`Give ${user.username} full access to the dashboard?`} />
        )}
      </Section>
      <Section id="user-status" title="Account status">
        {isSelf ? (
          <p className="text-sm text-slate-700">You cannot disable your own account; another administrator can.</p>
        ) : user.enabled ? (
          <>
            <p className="text-sm text-slate-700">
              Disabling signs {user.username} out everywhere, revokes their access and refresh tokens, and stops them from signing in until
              the account is enabled again.
            </p>
            <ActionButton
              action={disableUserAction}
              input={{ id: user.id }}
              label="Disable account"
              variant="danger"
              confirm={`Disable ${user.username}? They are signed out and their tokens stop working at once.`}
            />
          </>
        ) : (
          <>
            <p className="text-sm text-slate-700">
              {user.username} cannot sign in. Enabling lets them sign in again; sessions and tokens ended by disabling stay ended.
            </p>
            <ActionButton action={enableUserAction} input={{ id: user.id }} label="Enable account" />
          </>
        )}
      </Section>
      {isSelf ? null : (
        <Section id="user-delete" title="Delete">
          <p className="text-sm text-slate-700">
            Deleting removes {user.username} with their sessions, authorizations and tokens. The audit log keeps their id. Disabling is
            reversible; deleting is not.
          </p>
          <DeleteUserButton id={user.id} username={user.username} action={deleteUserAction} />
        </Section>
      )}
    </AppShell>
  );
}
