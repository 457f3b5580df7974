import type { ReactNode } from "react";

/** The narrow centred card the sign-in, consent and status pages share. */
export function PageShell({ title, subtitle, children }: { title: string; subtitle?: ReactNode; children: ReactNode }) {
  return (
    <main className="mx-auto flex min-h-screen max-w-md flex-col justify-center px-4 py-10">
      <p className="mb-4 text-center text-sm font-semibold uppercase tracking-wide text-indigo-700">Gatehouse</p>
      <section className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm sm:p-8">
        <h1 className="text-xl font-semibold text-slate-900">{title}</h1>
        {subtitle ? <div className="mt-2 text-sm text-slate-600">{subtitle}</div> : null}
        <div className="mt-6">{children}</div>
      </section>
    </main>
  );
}
