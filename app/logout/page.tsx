import type { Metadata } from "next";
import Link from "next/link";
import { PageShell } from "@/components/PageShell";
import { currentPortalSession } from "@/lib/next/session";
import { signOut } from "./actions";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Sign out" };

/** GET shows where you stand; only the form's POST signs out (a link cannot sign anyone out). */
export default async function LogoutPage() {
  const session = await currentPortalSession();
  if (!session) {
    return (
      <PageShell title="You are signed out">
        <p className="text-sm text-slate-700">
          <Link href="/login" className="font-medium text-indigo-700 underline">
            Sign in
          </Link>{" "}
          again, or go to the{" "}
          <Link href="/" className="font-medium text-indigo-700 underline">
            home page
          </Link>
          .
        </p>
      </PageShell>
    );
  }
  return (
    <PageShell
      title="Sign out?"
      subtitle={
        <>
          You are signed in as <strong className="text-slate-900">{session.username}</strong>.
        </>
      }
    >
      <form action={signOut}>
        <button
          type="submit"
          className="w-full rounded-md bg-indigo-700 px-4 py-2 font-medium text-white shadow-sm hover:bg-indigo-800 focus:outline-none focus:ring-2 focus:ring-indigo-600 focus:ring-offset-2"
        >
          Sign out
        </button>
      </form>
    </PageShell>
  );
}
