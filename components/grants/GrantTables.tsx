// The dashboard's grants pages: one user's or one client's authorizations and
// live tokens, each with a Revoke button. The same tables serve both pages;
// `perspective` says which side the page is on, and the other side is linked.
import Link from "next/link";
import { ActionButton } from "@/components/ui/ActionButton";
import { Cell, Table } from "@/components/ui/Table";
import type { ActionResult } from "@/lib/forms/actionResult";
import type { GrantOwner } from "@/lib/forms/grantActions";
import { DateTime, ScopeList, TOKEN_KIND_LABELS, type ScopeLabel } from "./format";

type Perspective = GrantOwner["ownerType"];

/** One row of the authorizations table: a user's consent to a client. */
export interface AuthorizationListing {
  id: string;
  userId: string;
  username: string;
  applicationId: string;
  clientId: string;
  clientDisplayName: string;
  scopes: readonly ScopeLabel[];
  /** "permanent" (remembered consent) or "ad-hoc" (one flow). */
  type: "permanent" | "ad-hoc";
  createdAt: Date;
  /** Access and refresh tokens under it that still work. */
  liveTokens: number;
}

/** One row of the live tokens table, named by its row id (never the token itself). */
export interface LiveTokenListing {
  id: string;
  kind: keyof typeof TOKEN_KIND_LABELS;
  applicationId: string;
  clientId: string;
  clientDisplayName: string;
  /** The user the token acts for; null for a client's own token (client_credentials). */
  userId: string | null;
  username: string | null;
  scopes: readonly ScopeLabel[];
  createdAt: Date;
  expiresAt: Date;
}

const linkClass = "font-medium text-indigo-700 underline";

export const userGrantsPath = (userId: string) => `/dashboard/users/${userId}/grants`;
export const clientGrantsPath = (applicationId: string) => `/dashboard/clients/${applicationId}/grants`;

function ClientLink({ applicationId, clientId, displayName }: { applicationId: string; clientId: string; displayName: string }) {
  return (
    <>
      <Link href={clientGrantsPath(applicationId)} className={linkClass}>
        {displayName}
      </Link>
      <span className="block text-xs text-slate-600">{clientId}</span>
    </>
  );
}

function UserLink({ userId, username }: { userId: string; username: string }) {
  return (
    <Link href={userGrantsPath(userId)} className={linkClass}>
      {username}
    </Link>
  );
}

export function AuthorizationsTable({
  perspective,
  owner,
  items,
  revoke,
}: {
  perspective: Perspective;
  owner: GrantOwner;
  items: readonly AuthorizationListing[];
  revoke: (input: { authorizationId: string; owner: GrantOwner }) => Promise<ActionResult<{ revokedTokens: number }>>;
}) {
  return (
    <Table
      caption="Authorizations"
      columns={[perspective === "user" ? "Client" : "User", "Scopes", "Consent", "Granted", "Live tokens", "Actions"]}
      empty={items.length === 0 ? "No valid authorizations." : undefined}
    >
      {items.map((authorization) => {
        const other = perspective === "user" ? authorization.clientDisplayName : authorization.username;
        return (
          <tr key={authorization.id}>
            <Cell>
              {perspective === "user" ? (
                <ClientLink applicationId={authorization.applicationId} clientId={authorization.clientId} displayName={authorization.clientDisplayName} />
              ) : (
                <UserLink userId={authorization.userId} username={authorization.username} />
              )}
            </Cell>
            <Cell>
              <ScopeList scopes={authorization.scopes} />
            </Cell>
            <Cell>{authorization.type === "permanent" ? "Remembered" : "One sign-in"}</Cell>
            <Cell>
              <DateTime value={authorization.createdAt} />
            </Cell>
            <Cell>{authorization.liveTokens}</Cell>
            <Cell>
              <ActionButton
                action={revoke}
                input={{ authorizationId: authorization.id, owner }}
                label="Revoke"
                pendingLabel="Revoking…"
                variant="danger"
                accessibleLabel={`Revoke authorization of ${other}`}
                confirm={`Revoke this authorization and every token issued under it (${authorization.liveTokens} live)?`}
              />
            </Cell>
          </tr>
        );
      })}
    </Table>
  );
}

export function LiveTokensTable({
  perspective,
  owner,
  items,
  revoke,
}: {
  perspective: Perspective;
  owner: GrantOwner;
  items: readonly LiveTokenListing[];
  revoke: (input: { tokenId: string; owner: GrantOwner }) => Promise<ActionResult<{ extent: "token" | "grant"; revokedTokens: number }>>;
}) {
  return (
    <Table
      caption="Live tokens"
      columns={["Kind", perspective === "user" ? "Client" : "User", "Scopes", "Issued", "Expires", "Actions"]}
      empty={items.length === 0 ? "No live access or refresh tokens." : undefined}
    >
      {items.map((token) => {
        const kind = TOKEN_KIND_LABELS[token.kind];
        const other = perspective === "user" ? token.clientDisplayName : (token.username ?? `${token.clientId} (client credentials)`);
        return (
          <tr key={token.id}>
            <Cell>{kind}</Cell>
            <Cell>
              {perspective === "user" ? (
                <ClientLink applicationId={token.applicationId} clientId={token.clientId} displayName={token.clientDisplayName} />
              ) : token.userId && token.username ? (
                <UserLink userId={token.userId} username={token.username} />
              ) : (
                <span className="text-slate-700">The client itself</span>
              )}
            </Cell>
            <Cell>
              <ScopeList scopes={token.scopes} />
            </Cell>
            <Cell>
              <DateTime value={token.createdAt} />
            </Cell>
            <Cell>
              <DateTime value={token.expiresAt} />
            </Cell>
            <Cell>
              <ActionButton
                action={revoke}
                input={{ tokenId: token.id, owner }}
                label="Revoke"
                pendingLabel="Revoking…"
                variant="secondary"
                accessibleLabel={`Revoke ${kind.toLowerCase()} of ${other} issued ${token.createdAt.toISOString()}`}
                confirm={
                  token.kind === "refresh_token"
                    ? "Revoke this refresh token? Every token of its grant stops working too."
                    : "Revoke this access token?"
                }
              />
            </Cell>
          </tr>
        );
      })}
    </Table>
  );
}
