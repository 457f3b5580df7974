// The body both grants pages share (/dashboard/users/[id]/grants and
// /dashboard/clients/[id]/grants): the owner's authorizations, then its live
// tokens a page at a time. Pages call requireAdminPage before rendering this.
import { Alert } from "@/components/ui/Alert";
import { Pagination } from "@/components/ui/Pagination";
import { AuthorizationsTable, LiveTokensTable } from "@/components/grants/GrantTables";
import { listAuthorizations, listLiveTokens, type GrantOwnerFilter } from "@/lib/db/grants";
import type { GrantOwner } from "@/lib/forms/grantActions";
import { getGatehouse } from "@/lib/gatehouse";
import { revokeAuthorizationAsAdmin, revokeTokenAsAdmin } from "./actions";

/** Authorizations are few per user or client; past this many the page says so instead of paging. */
const AUTHORIZATIONS_SHOWN = 200;
const TOKENS_PER_PAGE = 50;

export async function GrantsPageContent({ owner, path, page }: { owner: GrantOwner; path: string; page: number }) {
  const { db } = await getGatehouse();
  const filter: GrantOwnerFilter = owner.ownerType === "user" ? { userId: owner.ownerId } : { applicationId: owner.ownerId };
  const now = new Date();
  const [authorizations, tokens] = await Promise.all([
    listAuthorizations(db, filter, { limit: AUTHORIZATIONS_SHOWN, now }),
    listLiveTokens(db, filter, { limit: TOKENS_PER_PAGE, offset: (page - 1) * TOKENS_PER_PAGE, now }),
  ]);
  return (
    <>
      <section aria-labelledby="authorizations-heading" className="space-y-3">
        <h2 id="authorizations-heading" className="text-lg font-semibold text-slate-900">
          Authorizations
        </h2>
        <p className="text-sm text-slate-600">
          Consent given to a client. Revoking one revokes every token issued under it; the user is asked for consent again next time.
        </p>
        {authorizations.hasMore ? <Alert kind="info">Showing the {AUTHORIZATIONS_SHOWN} most recent authorizations.</Alert> : null}
        <AuthorizationsTable perspective={owner.ownerType} owner={owner} items={authorizations.items} revoke={revokeAuthorizationAsAdmin} />
      </section>
      <section aria-labelledby="tokens-heading" className="space-y-3">
        <h2 id="tokens-heading" className="text-lg font-semibold text-slate-900">
          Live tokens
        </h2>
        <p className="text-sm text-slate-600">
          Access and refresh tokens that still work. Revoking a refresh token revokes its whole grant (the access tokens issued with it too).
        </p>
        <LiveTokensTable perspective={owner.ownerType} owner={owner} items={tokens.items} revoke={revokeTokenAsAdmin} />
        {page > 1 || tokens.hasMore ? <Pagination path={path} params={{}} page={page} hasNext={tokens.hasMore} /> : null}
      </section>
    </>
  );
}
