// Re-checking the password of a signed-in user before a sensitive change
// (/account's password form). The attempt goes through the same sign-in
// throttle as /login (lib/auth/throttle.ts): a stolen session cannot be used
// to guess the password any faster than the sign-in form allows.
import { verifyPassword } from "./passwords";
import type { SignInStore } from "./ports";
import type { SignInThrottle } from "./throttle";

export type CurrentPasswordCheck =
  | { ok: true }
  | { ok: false; reason: "bad_password" | "no_password" }
  | { ok: false; reason: "throttled"; retryAfterSeconds: number };

export async function checkCurrentPassword(
  store: Pick<SignInStore, "readPasswordHash">,
  throttle: SignInThrottle,
  user: { userId: string; username: string },
  password: string,
  clientAddress: string | null,
): Promise<CurrentPasswordCheck> {
  const attempt = await throttle.begin({ userId: user.userId, identifier: user.username }, clientAddress);
  if (attempt.refused) return { ok: false, reason: "throttled", retryAfterSeconds: attempt.retryAfterSeconds };
  const passwordHash = await store.readPasswordHash(user.userId);
  if (passwordHash === null) return { ok: false, reason: "no_password" };
  if (!(await verifyPassword(passwordHash, password))) return { ok: false, reason: "bad_password" };
  await attempt.succeeded();
  return { ok: true };
}
