// The body both grants pages share (/dashboard/users/[id]/grants and
// /dashboard/clients/[id]/grants): the owner's authorizations and its live
// tokens, each list paged on its own. Pages call requireAdminPage before rendering this.
import { Pagination, pageNumber } from "@/components/ui/Pagination";
import { AuthorizationsTable, LiveTokensTable } from "@/components/grants/GrantTables";
import { listAuthorizations, listLiveTokens, type GrantOwnerFilter } from "@/lib/db/grants";
import type { GrantOwner } from "@/lib/forms/grantActions";
import { getGatehouse } from "@/lib/gatehouse";
import { revokeAuthorizationAsAdmin, revokeTokenAsAdmin } from "./actions";

/** The two paged lists: each has its own query parameter, and its links keep the other list's page. */
const LISTS = {
  authorizations: { param: "authorizationsPage", label: "Authorization pages" },
  tokens: { param: "page", label: "Live token pages" },
} as const;
type PagedList = keyof typeof LISTS;
type ListPages = Record<PagedList, number>;
const PER_PAGE = 50;

/** Previous / next for one list, shown only when there is more than one page. */
function ListPagination({ list, path, pages, hasNext }: { list: PagedList; path: string; pages: ListPages; hasNext: boolean }) {
  if (pages[list] === 1 && !hasNext) return null;
  const other: PagedList = list === "authorizations" ? "tokens" : "authorizations";
  return (
    <Pagination
      path={path}
      params={{ [LISTS[other].param]: pages[other] > 1 ? String(pages[other]) : undefined }}
      page={pages[list]}
      hasNext={hasNext}
      pageParam={LISTS[list].param}
      label={LISTS[list].label}
    />
  );
}

export async function GrantsPageContent({
  owner,
  path,
  query,
}: {
  owner: GrantOwner;
  path: string;
  /** The page's search parameters (each list's page number). */
  query: Record<string, string | string[] | undefined>;
}) {
  const { db } = await getGatehouse();
  const filter: GrantOwnerFilter = owner.ownerType === "user" ? { userId: owner.ownerId } : { applicationId: owner.ownerId };
  const pages: ListPages = { authorizations: pageNumber(query[LISTS.authorizations.param]), tokens: pageNumber(query[LISTS.tokens.param]) };
  const now = new Date();
  const [authorizations, tokens] = await Promise.all([
    listAuthorizations(db, filter, { limit: PER_PAGE, offset: (pages.authorizations - 1) * PER_PAGE, now }),
    listLiveTokens(db, filter, { limit: PER_PAGE, offset: (pages.tokens - 1) * PER_PAGE, now }),
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
        <AuthorizationsTable perspective={owner.ownerType} owner={owner} items={authorizations.items} revoke={revokeAuthorizationAsAdmin} />
        <ListPagination list="authorizations" path={path} pages={pages} hasNext={authorizations.hasMore} />
      </section>
      <section aria-labelledby="tokens-heading" className="space-y-3">
        <h2 id="tokens-heading" className="text-lg font-semibold text-slate-900">
          Live tokens
        </h2>
        <p className="text-sm text-slate-600">
          Access and refresh tokens that still work. Revoking a refresh token revokes its whole grant (the access tokens issued with it too).
        </p>
        <LiveTokensTable perspective={owner.ownerType} owner={owner} items={tokens.items} revoke={revokeTokenAsAdmin} />
        <ListPagination list="tokens" path={path} pages={pages} hasNext={tokens.hasMore} />
      </section>
    </>
  );
}
