import type { Metadata } from "next";
import { AppShell } from "@/components/AppShell";
import { signOut } from "@/app/logout/actions";
import { requireAdminPage } from "@/lib/next/guards";
import { CreateUserForm } from "../UserForms";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "New user" };

export default async function NewUserPage() {
  const session = await requireAdminPage("/dashboard/users/new");
  return (
    <AppShell user={session} signOut={signOut} admin title="New user" description="The user can sign in as soon as the account exists.">
      <CreateUserForm />
    </AppShell>
  );
}
