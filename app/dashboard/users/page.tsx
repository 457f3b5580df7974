import type { Metadata } from "next";
import Link from "next/link";
import { AppShell } from "@/components/AppShell";
import { signOut } from "@/app/logout/actions";
import { Button, buttonClass } from "@/components/ui/Button";
import { inputClass } from "@/components/ui/Field";
import { Pagination, pageNumber } from "@/components/ui/Pagination";
import { Cell, Table } from "@/components/ui/Table";
import { requireAdminPage } from "@/lib/next/guards";
import { ADMIN_ROLE, searchUsers } from "@/lib/db/userAdmin";
import { getGatehouse } from "@/lib/gatehouse";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Users" };

const PAGE_SIZE = 25;

export default async function UsersPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const session = await requireAdminPage("/dashboard/users");
  const params = await searchParams;
  const query = typeof params.q === "string" ? params.q.slice(0, 200) : "";
  const page = pageNumber(params.page);
  const { db } = await getGatehouse();
  const { users, hasNext } = await searchUsers(db, { query, page, pageSize: PAGE_SIZE });
  return (
    <AppShell
      user={session}
      signOut={signOut}
      admin
      title="Users"
      description="People who sign in to Gatehouse."
      actions={
        <Link href="/dashboard/users/new" className={buttonClass("primary")}>
          New user
        </Link>
      }
    >
      <form method="get" role="search" className="flex max-w-xl items-end gap-2">
        <div className="flex-1 space-y-1">
          <label htmlFor="user-search" className="block text-sm font-medium text-slate-800">
            Search by username, email or name
          </label>
          <input id="user-search" name="q" type="search" defaultValue={query} className={inputClass} />
        </div>
        <Button type="submit" variant="secondary">
          Search
        </Button>
      </form>
      <Table
        caption={query ? `Users matching “${query}”` : "Users"}
        columns={["Username", "Name", "Email", "Role", "Status"]}
        empty={users.length ? undefined : query ? `No user matches “${query}”.` : "No users on this page."}
      >
        {users.map((user) => (
          <tr key={user.id}>
            <Cell>
              <Link href={`/dashboard/users/${user.id}`} className="font-medium text-indigo-700 underline">
                {user.username}
              </Link>
            </Cell>
            <Cell>{user.name || "—"}</Cell>
            <Cell>
              {user.email ?? "—"}
              {user.email && !user.emailVerified ? <span className="ml-1 text-xs text-slate-600">(unverified)</span> : null}
            </Cell>
            <Cell>{user.roles.includes(ADMIN_ROLE) ? "Administrator" : "User"}</Cell>
            <Cell>{user.enabled ? "Active" : <span className="font-medium text-red-700">Disabled</span>}</Cell>
          </tr>
        ))}
      </Table>
      <Pagination path="/dashboard/users" params={{ q: query || undefined }} page={page} hasNext={hasNext} />
    </AppShell>
  );
}
