// Who may see a page or run a server action. Every dashboard page calls
// requireAdminPage and every dashboard action is built with adminAction, so the
// check runs on the server for each request, whatever links the UI shows.
// (tests/unit/architecture.test.ts keeps it that way.)
import { forbidden, redirect } from "next/navigation";
import { z } from "zod";
import { isAdmin } from "../auth/roles";
import type { PortalSession } from "../auth/portalAuth";
import { actionError, type ActionResult } from "../forms/actionResult";
import { getGatehouse, type Gatehouse } from "../gatehouse";
import type { OperationContext } from "../management/context";
import type { AuditEventInput } from "../oauth/ports";
import { currentPortalSession, requestClientAddress } from "./session";

function loginPath(returnTo: string): string {
  return `/login?returnTo=${encodeURIComponent(returnTo)}`;
}

/** The signed-in user, or a redirect to the sign-in page that comes back to `returnTo`. */
export async function requireSignedInPage(returnTo: string): Promise<PortalSession> {
  const session = await currentPortalSession();
  if (!session) redirect(loginPath(returnTo));
  return session;
}

/** The signed-in admin; signed out → sign-in page, anyone else → 403 (app/forbidden.tsx). */
export async function requireAdminPage(returnTo: string): Promise<PortalSession> {
  const session = await requireSignedInPage(returnTo);
  if (!isAdmin(session)) forbidden();
  return session;
}

export interface ActionContext {
  session: PortalSession;
  gatehouse: Gatehouse;
  ip: string | null;
  /** Records an audit event with this user as the actor and this request's address. */
  audit(event: Omit<AuditEventInput, "actor" | "ip">): Promise<void>;
  /** The same, for the operations the dashboard shares with the management API (lib/management). */
  operation: OperationContext;
}

type Guard = "admin" | "signed-in";

function guardedAction<S extends z.ZodType, T>(
  guard: Guard,
  schema: S,
  run: (input: z.output<S>, context: ActionContext) => Promise<ActionResult<T>>,
): (input: z.input<S>) => Promise<ActionResult<T>> {
  return async (input) => {
    const session = await currentPortalSession();
    if (!session) return actionError(401, "Your session has ended. Sign in again.");
    if (guard === "admin" && !isAdmin(session)) return actionError(403, "Only administrators can do this.");
    const parsed = schema.safeParse(input);
    if (!parsed.success) {
      const flattened = z.flattenError(parsed.error);
      const fieldErrors = Object.fromEntries(
        Object.entries(flattened.fieldErrors).filter((entry): entry is [string, string[]] => Array.isArray(entry[1])),
      );
      return actionError(400, flattened.formErrors[0] ?? "Check the highlighted fields.", fieldErrors);
    }
    const gatehouse = await getGatehouse();
    const ip = await requestClientAddress();
    const audit: ActionContext["audit"] = (event) => gatehouse.audit.record({ ...event, actor: session.userId, ip });
    const operation: OperationContext = { db: gatehouse.db, actorId: session.userId, audit, rotateSigningKeys: gatehouse.rotateSigningKeys };
    const context: ActionContext = { session, gatehouse, ip, audit, operation };
    try {
      return await run(parsed.data, context);
    } catch (error) {
      console.error("[action] failed:", error);
      return actionError(500, "That did not work. Try again; if it keeps failing, the server log says why.");
    }
  };
}

/** A server action only an admin may run: signed in, admin role, input valid — checked on every call. */
export function adminAction<S extends z.ZodType, T>(
  schema: S,
  run: (input: z.output<S>, context: ActionContext) => Promise<ActionResult<T>>,
) {
  return guardedAction("admin", schema, run);
}

/** A server action any signed-in user may run on their own account. */
export function accountAction<S extends z.ZodType, T>(
  schema: S,
  run: (input: z.output<S>, context: ActionContext) => Promise<ActionResult<T>>,
) {
  return guardedAction("signed-in", schema, run);
}
