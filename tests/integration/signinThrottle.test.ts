// The sign-in throttle over HTTP (issue #10 items 2 and 3): strangers cannot
// lock an owner out, a NAT full of honest users keeps working, and a throttled
// attempt is answered at once with a retry time. The server trusts
// X-Forwarded-For (GATEHOUSE_TRUST_PROXY=1); each request sends a single entry,
// so the address is the same whether the first or the rightmost entry is taken.
// Runs on PostgreSQL (tests/helpers/integrationBackends.ts): the throttle's store
// and policy are unit-tested on both backends (tests/unit/signInThrottleStore.test.ts).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { cookieJar, findForm } from "../helpers/portal";
import { startSeededServer, TEST_ADMIN_PASSWORD } from "../helpers/server";

const REFUSED = "Incorrect username or password.";
const THROTTLED = /Too many failed sign-ins\. Try again in (\d+) (second|seconds|minutes)\./;
const SESSION_COOKIE = "authjs.session-token";
const ALICE_HOME = "203.0.113.10";
const NAT = "192.0.2.77";

let suite: Awaited<ReturnType<typeof startSeededServer>>;
let base: string;
/** The sign-in form's hidden fields (the server action's id): the same for every post. */
let hiddenFields: [string, string][];

beforeAll(async () => {
  suite = await startSeededServer({ GATEHOUSE_TRUST_PROXY: "1" });
  base = suite.server.url;
  const page = await fetch(`${base}/login`);
  hiddenFields = findForm(await page.text(), "username").fields.filter(([name]) => name !== "username" && name !== "password");
  // Alice once signed in from behind the NAT (her office), before anything below happened.
  expect((await signIn("alice", "alice-password", NAT)).status).toBe(303);
});
afterAll(async () => {
  await suite?.stop();
});

interface Answer {
  status: number;
  html: string;
  signedIn: boolean;
  /** Seconds until the next attempt, when the throttle refused this one. */
  retryAfterSeconds: number | null;
  cookie: string;
  elapsedMs: number;
}

/** Posts the sign-in form like a browser without JavaScript and without cookies (a fresh browser), from `address`. */
async function signIn(username: string, password: string, address: string): Promise<Answer> {
  const body = new FormData();
  for (const [name, value] of hiddenFields) body.append(name, value);
  body.append("username", username);
  body.append("password", password);
  const started = performance.now();
  const response = await fetch(`${base}/login`, { method: "POST", body, redirect: "manual", headers: { Origin: base, "X-Forwarded-For": address } });
  const html = await response.text();
  const elapsedMs = performance.now() - started;
  const signedIn = response.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`));
  const match = html.match(THROTTLED);
  const retryAfterSeconds = match ? Number(match[1]) * (match[2] === "minutes" ? 60 : 1) : null;
  return { status: response.status, html, signedIn, retryAfterSeconds, cookie: signedIn ? cookieJar(response) : "", elapsedMs };
}

async function sessionUser(cookie: string): Promise<string | null> {
  const response = await fetch(`${base}/api/auth/session`, { headers: { cookie } });
  const body = (await response.json()) as { user?: { name?: string } } | null;
  return body?.user?.name ?? null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("strangers cannot lock an owner out", () => {
  test("after 100 failures for alice from other addresses, alice signs in at once from an address she signed in from before, in a fresh browser", async () => {
    const home = await signIn("alice", "alice-password", ALICE_HOME);
    expect(home.status).toBe(303);

    let throttled = 0;
    let wrongPassword = 0;
    for (let i = 0; i < 100; i++) {
      const attack = await signIn("alice", `guess-${i}`, `198.51.${100 + Math.floor(i / 50)}.${i % 50}`);
      expect(attack.status).toBe(200);
      expect(attack.signedIn).toBe(false);
      if (attack.retryAfterSeconds !== null) {
        throttled++;
        // A throttled answer says when to try again and nothing about the password.
        expect(attack.html).not.toContain(REFUSED);
      } else {
        expect(attack.html).toContain(REFUSED);
        wrongPassword++;
      }
    }
    // Ten free failures, then growing waits: most guesses never reached a password check.
    expect(wrongPassword).toBeGreaterThanOrEqual(10);
    expect(throttled).toBeGreaterThan(50);

    // The account's turn is held for a wait that doubles with each checked failure (2 s, 4 s, …). Where the loop
    // above ended in that wait depends on the machine's speed, so take the next turn with one more wrong guess
    // (throttled answers until the held wait is over), which starts a wait of at least 4 s.
    const deadline = Date.now() + 60_000;
    for (let i = 0; ; i++) {
      const guess = await signIn("alice", `late-guess-${i}`, `198.51.103.${i % 250}`);
      expect(guess.signedIn).toBe(false);
      if (guess.retryAfterSeconds === null) break;
      expect(Date.now()).toBeLessThan(deadline);
      await sleep(200);
    }

    // From yet another address even the right password now waits its turn (it is not checked at all)…
    const stranger = await signIn("alice", "alice-password", "198.51.102.1");
    expect(stranger.signedIn).toBe(false);
    expect(stranger.retryAfterSeconds).toBeGreaterThan(0);

    // …but alice at home is judged only by her own counter there: in at once.
    const owner = await signIn("alice", "alice-password", ALICE_HOME);
    expect(owner.status).toBe(303);
    expect(owner.signedIn).toBe(true);
    expect(await sessionUser(owner.cookie)).toBe("alice");
  });
});

describe("a NAT full of honest users keeps working", () => {
  test("many failures for various accounts behind one address slow new accounts there, never a user who signed in from it before; throttled answers come at once", async () => {
    // Failures for many accounts from behind the NAT, until the address's wait is several seconds long.
    let lastRefusal: Answer | null = null;
    for (let i = 0; i < 300; i++) {
      const attempt = await signIn(`colleague-${i}`, "wrong-password", NAT);
      expect(attempt.signedIn).toBe(false);
      if (attempt.retryAfterSeconds === null) continue;
      if (attempt.retryAfterSeconds >= 4) {
        lastRefusal = attempt;
        break;
      }
      await sleep(attempt.retryAfterSeconds * 1000);
    }
    expect(lastRefusal).not.toBeNull();
    // Answered at once, not by holding the request until the wait is over.
    expect(lastRefusal!.elapsedMs).toBeLessThan(lastRefusal!.retryAfterSeconds! * 1000);

    // An account that has never signed in from the NAT waits its turn, whatever the password…
    const newcomer = await signIn("admin", TEST_ADMIN_PASSWORD, NAT);
    expect(newcomer.signedIn).toBe(false);
    expect(newcomer.retryAfterSeconds).toBeGreaterThan(0);
    // …alice, who signed in from it before, does not (even though strangers have slowed her account elsewhere).
    const known = await signIn("alice", "alice-password", NAT);
    expect(known.status).toBe(303);
    expect(known.signedIn).toBe(true);
  });
});
