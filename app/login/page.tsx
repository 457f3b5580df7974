import type { Metadata } from "next";
import { PageShell } from "@/components/PageShell";
import { currentPortalSession } from "@/lib/next/session";
import { isInteractionId, safeReturnPath } from "@/lib/auth/returnTo";
import { MAX_IDENTIFIER_LENGTH } from "@/lib/auth/signInForm";
import { signIn } from "./actions";
import { SignInForm } from "./SignInForm";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Sign in" };

type SearchParams = Record<string, string | string[] | undefined>;

function single(value: string | string[] | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/**
 * /login?interaction=<id> (from the authorization endpoint), or
 * /login?returnTo=/some/path; login_hint prefills the username.
 */
export default async function LoginPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const params = await searchParams;
  const interaction = single(params.interaction);
  const returnTo = safeReturnPath(single(params.returnTo));
  const loginHint = (single(params.login_hint) ?? "").replace(/[\u0000-\u001f\u007f]/g, "").slice(0, MAX_IDENTIFIER_LENGTH);
  const session = await currentPortalSession();
  return (
    <PageShell
      title="Sign in"
      subtitle={
        session ? (
          <>
            You are signed in as <strong className="text-slate-900">{session.username}</strong>. Sign in again to
            continue, or as someone else.
          </>
        ) : (
          "Use your Gatehouse account."
        )
      }
    >
      <SignInForm
        action={signIn}
        loginHint={loginHint}
        interaction={isInteractionId(interaction) ? interaction : ""}
        returnTo={returnTo ?? ""}
      />
    </PageShell>
  );
}
