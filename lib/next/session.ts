// The portal session inside Next.js pages and server actions (next/headers).
// Protocol code uses PortalAuth.readSession on a plain Web Request instead.
import { cookies, headers } from "next/headers";
import { getGatehouse } from "../gatehouse";
import { CLIENT_ADDRESS_HEADER, normalizeClientAddress } from "../auth/clientAddress";
import type { PortalSession } from "../auth/portalAuth";
import { noteRequestParties } from "../requestContext";

async function cookieRecord(): Promise<Record<string, string>> {
  const store = await cookies();
  return Object.fromEntries(store.getAll().map((cookie) => [cookie.name, cookie.value]));
}

/** The signed-in user of this request, checked against the session row; null when signed out. */
export async function currentPortalSession(): Promise<PortalSession | null> {
  const { auth } = await getGatehouse();
  const session = await auth.readSessionFromCookies(await cookieRecord());
  if (session) noteRequestParties({ userId: session.userId }); // for this request's log line
  return session;
}

/** The client's address as server.ts recorded it (null under `next dev`). */
export async function requestClientAddress(): Promise<string | null> {
  return normalizeClientAddress((await headers()).get(CLIENT_ADDRESS_HEADER));
}

/** Ends the current session (if any) and clears its cookie. */
export async function signOutCurrentSession(): Promise<PortalSession | null> {
  const { auth } = await getGatehouse();
  const store = await cookies();
  const session = await auth.readSessionFromCookies(await cookieRecord());
  if (session) await auth.endSession(session.sessionId);
  for (const cookie of auth.clearingCookies(store.getAll().map((c) => c.name))) {
    store.set(cookie.name, cookie.value, cookie.options);
  }
  return session;
}
