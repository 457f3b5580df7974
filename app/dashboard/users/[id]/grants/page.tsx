import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { AppShell } from "@/components/AppShell";
import { signOut } from "@/app/logout/actions";
import { userGrantsPath } from "@/components/grants/GrantTables";
import { requireAdminPage } from "@/lib/next/guards";
import { findGrantUser } from "@/lib/db/grants";
import { getGatehouse } from "@/lib/gatehouse";
import { GrantsPageContent } from "../../../grants/GrantsPageContent";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "User grants" };

export default async function UserGrantsPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { id } = await params;
  const session = await requireAdminPage(userGrantsPath(encodeURIComponent(id)));
  const user = await findGrantUser((await getGatehouse()).db, id);
  if (!user) notFound();
  return (
    <AppShell
      user={session}
      signOut={signOut}
      admin
      title={`Grants of ${user.username}`}
      description={
        <>
          {user.name ? `${user.name} · ` : null}
          <Link href={`/dashboard/users/${user.id}`} className="font-medium text-indigo-700 underline">
            User details
          </Link>
        </>
      }
    >
      <GrantsPageContent owner={{ ownerType: "user", ownerId: user.id }} path={userGrantsPath(user.id)} query={await searchParams} />
    </AppShell>
  );
}
