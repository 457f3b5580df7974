// The body both grants pages share (/dashboard/users/[id]/grants and
// /dashboard/clients/[id]/grants): the owner's authorizations and its live
// tokens, each list paged on its own. Pages call requireAdminPage before rendering this.
import { Pagination } from "@/components/ui/Pagination";
import { AuthorizationsTable, LiveTokensTable } from "@/components/grants/GrantTables";
import { listAuthorizations, listLiveTokens, type GrantOwnerFilter } from "@/lib/db/grants";
import type { GrantOwner } from "@/lib/forms/grantActions";
import { getGatehouse } from "@/lib/gatehouse";
import { revokeAuthorizationAsAdmin, revokeTokenAsAdmin } from "./actions";

const AUTHORIZATIONS_PER_PAGE = 50;
const TOKENS_PER_PAGE = 50;
/** The query parameters of the two lists' pages; each list's links keep the other's. */
export const AUTHORIZATIONS_PAGE_PARAM = "authorizationsPage";
export const TOKENS_PAGE_PARAM = "page";

export async function GrantsPageContent({ owner, path, pages }: { owner: GrantOwner; path: string; pages: { authorizations: number; tokens: number } }) {
  const { db } = await getGatehouse();
  const filter: GrantOwnerFilter = owner.ownerType === "user" ? { userId: owner.ownerId } : { applicationId: owner.ownerId };
  const now = new Date();
  const [authorizations, tokens] = await Promise.all([
    listAuthorizations(db, filter, { limit: AUTHORIZATIONS_PER_PAGE, offset: (pages.authorizations - 1) * AUTHORIZATIONS_PER_PAGE, now }),
    listLiveTokens(db, filter, { limit: TOKENS_PER_PAGE, offset: (pages.tokens - 1) * TOKENS_PER_PAGE, now }),
  ]);
  const pageParam = (page: number) => (page > 1 ? String(page) : undefined);
  return (
    <>
      <section aria-labelledby="authorizations-heading" className="space-y-3">
        <h2 id="authorizations-heading" className="text-lg font-semibold text-slate-900">
          Authorizations
        </h2>
        <p className="text-sm text-slate-600">
          Consent given to a client. Revoking one revokes every token issued under it; the user is asked for consent again next time.
        </p>
        <AuthorizationsTable perspective={owner.ownerType} owner={owner} items={authorizations.items} revoke={revokeAuthorizationAsAdmin} />
        {pages.authorizations > 1 || authorizations.hasMore ? (
          <Pagination
            path={path}
            params={{ [TOKENS_PAGE_PARAM]: pageParam(pages.tokens) }}
            page={pages.authorizations}
            hasNext={authorizations.hasMore}
            pageParam={AUTHORIZATIONS_PAGE_PARAM}
            label="Authorization pages"
          />
        ) : null}
      </section>
      <section aria-labelledby="tokens-heading" className="space-y-3">
        <h2 id="tokens-heading" className="text-lg font-semibold text-slate-900">
          Live tokens
        </h2>
        <p className="text-sm text-slate-600">
          Access and refresh tokens that still work. Revoking a refresh token revokes its whole grant (the access tokens issued with it too).
        </p>
        <LiveTokensTable perspective={owner.ownerType} owner={owner} items={tokens.items} revoke={revokeTokenAsAdmin} />
        {pages.tokens > 1 || tokens.hasMore ? (
          <Pagination
            path={path}
            params={{ [AUTHORIZATIONS_PAGE_PARAM]: pageParam(pages.authorizations) }}
            page={pages.tokens}
            hasNext={tokens.hasMore}
            pageParam={TOKENS_PAGE_PARAM}
            label="Live token pages"
          />
        ) : null}
      </section>
    </>
  );
}
