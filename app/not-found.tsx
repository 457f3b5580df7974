import Link from "next/link";
import { PageShell } from "@/components/PageShell";

/** Any unknown path. Replaces Next.js's default page, whose inline style attributes the page policy refuses. */
export default function NotFound() {
  return (
    <PageShell title="Page not found" subtitle="There is nothing at this address.">
      <p className="text-sm">
        <Link href="/" className="font-medium text-indigo-700 underline">
          Go to the home page
        </Link>
        .
      </p>
    </PageShell>
  );
}
