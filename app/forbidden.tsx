import Link from "next/link";
import { PageShell } from "@/components/PageShell";

/** Rendered with status 403 when a page calls forbidden() (lib/next/guards.ts). */
export default function Forbidden() {
  return (
    <PageShell title="You do not have access to this page" subtitle="It is for Gatehouse administrators. Ask one if you need access.">
      <p className="text-sm">
        <Link href="/account" className="font-medium text-indigo-700 underline">
          Go to your account
        </Link>{" "}
        or{" "}
        <Link href="/" className="font-medium text-indigo-700 underline">
          the home page
        </Link>
        .
      </p>
    </PageShell>
  );
}
