// Issue #10 item 5 against the real server, through the real server actions:
// after an admin resets a user's password, every session and token of that
// user stops working; after the user changes their own password, their other
// sessions end and the tokens obtained in them stop working, while the tokens
// of the session that made the change keep working. Refresh → invalid_grant,
// introspection → active:false, userinfo → 401. Works on PGlite and PostgreSQL
// (GATEHOUSE_TEST_BACKEND); `npm test` runs it on PostgreSQL, where reading the
// audit log needs no in-process PGlite (tests/helpers/integrationBackends.ts).
// CONFORMANCE.md RT-05, IR-02, UI-04.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DEMO_USER } from "../helpers/codeFlow";
import { postmanToken } from "../helpers/oauth";
import { signInOverHttp } from "../helpers/portal";
import { queryStore } from "../helpers/processes";
import { TEST_ADMIN_PASSWORD, startSeededServer } from "../helpers/server";
import { callServerAction } from "../helpers/serverActions";
import { isActiveAtIntrospection, portalSession, refreshOutcome, userTokensForPostman, userinfoStatus, type UserTokens } from "../helpers/userTokens";

let suite: Awaited<ReturnType<typeof startSeededServer>>;
let base: string;
let aliceId: string;

const RESET_PASSWORD = "reset by the admin 4711";
const CHANGED_PASSWORD = "changed by alice 0815";

beforeAll(async () => {
  suite = await startSeededServer();
  base = suite.server.url;
}, 90_000);
afterAll(async () => {
  await suite?.stop();
});

async function signIn(username: string, password: string): Promise<string> {
  const result = await signInOverHttp(base, username, password);
  expect(result.response.status, `sign-in as ${username}`).toBe(303);
  return result.cookie;
}

/** Tokens as a client holds them after one refresh (the pair the revocation must kill). */
async function rotatedTokens(cookie: string): Promise<UserTokens> {
  const issued = await userTokensForPostman(base, cookie);
  const rotated = await refreshOutcome(base, issued.refresh_token);
  expect(rotated.status).toBe(200);
  return rotated.tokens as UserTokens;
}

async function expectDead(tokens: UserTokens) {
  expect(await isActiveAtIntrospection(base, tokens.access_token)).toBe(false);
  expect(await userinfoStatus(base, tokens.access_token)).toBe(401);
  expect(await refreshOutcome(base, tokens.refresh_token)).toMatchObject({ status: 400, error: "invalid_grant" });
}

/** The `sub` of an access token (a JWT): the user's id. */
function subjectOf(accessToken: string): string {
  return (JSON.parse(Buffer.from(accessToken.split(".")[1]!, "base64url").toString("utf8")) as { sub: string }).sub;
}

/** Audit rows read from the store; with PGlite only once the server has stopped (one opener). */
async function auditDetails(kind: string): Promise<Record<string, unknown>[]> {
  const rows = await queryStore<{ details: Record<string, unknown> | string }>(
    suite.store,
    `SELECT "details" FROM "audit_events" WHERE "kind" = $1 AND "user_id" = $2 ORDER BY "at"`,
    [kind, aliceId],
  );
  return rows.map((row) => (typeof row.details === "string" ? JSON.parse(row.details) : row.details));
}

describe("password reset and change revoke tokens", () => {
  test("RT-05 / IR-02 / UI-04: an admin's reset ends every session of the user and revokes all their refresh and access tokens", async () => {
    const aliceCookie = await signIn(DEMO_USER.username, DEMO_USER.password);
    const tokens = await rotatedTokens(aliceCookie);
    aliceId = subjectOf(tokens.access_token);
    expect(await isActiveAtIntrospection(base, tokens.access_token)).toBe(true);
    expect(await userinfoStatus(base, tokens.access_token)).toBe(200);
    const clientToken = await postmanToken(base); // the client's own token: not the user's, must survive

    const admin = await signIn("admin", TEST_ADMIN_PASSWORD);
    const reset = await callServerAction(base, {
      page: `/dashboard/users/${aliceId}`,
      filename: "app/dashboard/users/actions.ts",
      exportedName: "resetPasswordAction",
      input: { id: aliceId, password: RESET_PASSWORD },
      cookie: admin,
    });
    expect(reset.result).toMatchObject({ ok: true });

    await expectDead(tokens);
    expect(await portalSession(base, aliceCookie)).toBeNull();
    expect(await isActiveAtIntrospection(base, clientToken.access_token)).toBe(true);
    expect((await signInOverHttp(base, DEMO_USER.username, DEMO_USER.password)).cookie).toBe("");
  }, 120_000);

  test("RT-05 / IR-02 / UI-04: the user's own change ends their other sessions and revokes the tokens obtained there; the current session's tokens stay", async () => {
    const current = await signIn(DEMO_USER.username, RESET_PASSWORD);
    const other = await signIn(DEMO_USER.username, RESET_PASSWORD);
    const otherTokens = await rotatedTokens(other);
    const currentTokens = await rotatedTokens(current);

    const changed = await callServerAction(base, {
      page: "/account",
      filename: "app/account/actions.ts",
      exportedName: "changePassword",
      input: { currentPassword: RESET_PASSWORD, newPassword: CHANGED_PASSWORD, confirmPassword: CHANGED_PASSWORD },
      cookie: current,
    });
    expect(changed.result).toMatchObject({ ok: true, data: { endedSessions: 1 } });

    await expectDead(otherTokens);
    expect(await portalSession(base, other)).toBeNull();
    expect((await portalSession(base, current))?.user?.name).toBe(DEMO_USER.username);
    expect(await isActiveAtIntrospection(base, currentTokens.access_token)).toBe(true);
    expect(await userinfoStatus(base, currentTokens.access_token)).toBe(200);
    expect((await refreshOutcome(base, currentTokens.refresh_token)).status).toBe(200);
  }, 120_000);

  test("both are audited with what they ended and revoked", async () => {
    await suite.server.stop();
    const [reset] = await auditDetails("admin.user.password_reset");
    expect(Number(reset?.tokensRevoked)).toBeGreaterThanOrEqual(2);
    const [changed] = await auditDetails("account.password_changed");
    expect(changed).toMatchObject({ endedSessions: 1 });
    expect(Number(changed?.revokedTokens)).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
