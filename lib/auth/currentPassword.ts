// Re-checking the password of a signed-in user before a sensitive change
// (/account's password form). The attempt counts against the same failed
// sign-in limits as /login (lib/auth/throttle.ts): a stolen session cannot be
// used to guess the password any faster than the sign-in form allows.
import type { SqlExecutor } from "../db/client";
import { readPasswordHash } from "../db/account";
import { createSignInThrottleStore } from "../db/signInThrottleStore";
import { verifyPassword } from "./passwords";
import { DEFAULT_THROTTLE_POLICY, SignInThrottle, type ThrottlePolicy } from "./throttle";

export type CurrentPasswordCheck = { ok: true } | { ok: false; reason: "bad_password" | "no_password" | "throttled" };

export async function checkCurrentPassword(
  sql: SqlExecutor,
  user: { userId: string; username: string },
  password: string,
  clientAddress: string | null,
  policy: ThrottlePolicy = DEFAULT_THROTTLE_POLICY,
): Promise<CurrentPasswordCheck> {
  const attempt = await new SignInThrottle(createSignInThrottleStore(sql), policy).begin(user.username, clientAddress);
  const passwordHash = await readPasswordHash(sql, user.userId);
  const ok = !attempt.refused && passwordHash !== null && (await verifyPassword(passwordHash, password));
  if (ok) {
    await attempt.succeeded();
    return { ok: true };
  }
  await attempt.failed();
  return { ok: false, reason: attempt.refused ? "throttled" : passwordHash === null ? "no_password" : "bad_password" };
}
