"use server";

import { redirect } from "next/navigation";
import { signOutCurrentSession } from "@/lib/next/session";

/** Ends the session row and clears the cookie, then shows /logout ("You are signed out"). */
export async function signOut(): Promise<void> {
  await signOutCurrentSession();
  redirect("/logout"); // 303 for a form post without JavaScript
}
