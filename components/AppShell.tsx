// The frame of the signed-in pages (dashboard and account): a header with the
// navigation and the user's name, one main landmark, one h1 per page.
import Link from "next/link";
import type { ReactNode } from "react";
import { NavLinks } from "./NavLinks";

export const ADMIN_LINKS = [
  { href: "/dashboard", label: "Overview" },
  { href: "/dashboard/clients", label: "Clients" },
  { href: "/dashboard/scopes", label: "Scopes" },
  { href: "/dashboard/users", label: "Users" },
  { href: "/dashboard/keys", label: "Signing keys" },
  { href: "/dashboard/audit", label: "Audit log" },
  { href: "/dashboard/webhooks", label: "Webhooks" },
  { href: "/dashboard/api", label: "API" },
] as const;

export function AppShell({
  user,
  signOut,
  admin,
  title,
  description,
  actions,
  children,
}: {
  user: { username: string; name: string };
  /** The sign-out server action (app/logout/actions.ts), handed down by the page: components do not import app/. */
  signOut: () => Promise<void>;
  /** Whether to show the dashboard's links (the pages check the role themselves). */
  admin: boolean;
  title: string;
  description?: ReactNode;
  /** Buttons or links beside the title (e.g. "New client"). */
  actions?: ReactNode;
  children: ReactNode;
}) {
  const links = admin ? [...ADMIN_LINKS, { href: "/account", label: "My account" }] : [{ href: "/account", label: "My account" }];
  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-3 px-4 py-3">
          <Link href="/" className="text-sm font-semibold uppercase tracking-wide text-indigo-700">
            Gatehouse
          </Link>
          <nav aria-label="Main" className="order-3 w-full sm:order-2 sm:w-auto">
            <NavLinks links={links} />
          </nav>
          <form action={signOut} className="order-2 flex items-center gap-2 text-sm text-slate-700 sm:order-3">
            <span>
              Signed in as <strong className="text-slate-900">{user.username}</strong>
            </span>
            <button type="submit" className="font-medium text-indigo-700 underline">
              Sign out
            </button>
          </form>
        </div>
      </header>
      <main className="mx-auto max-w-6xl space-y-6 px-4 py-8">
        <div className="flex flex-wrap items-end justify-between gap-3">
          <div className="space-y-1">
            <h1 className="text-2xl font-bold text-slate-900">{title}</h1>
            {description ? <div className="text-sm text-slate-600">{description}</div> : null}
          </div>
          {actions ? <div className="flex gap-2">{actions}</div> : null}
        </div>
        {children}
      </main>
    </div>
  );
}
