// Issue #10 item 8 over HTTP against the built server: HSTS on every response
// when the issuer is https (never on http), the page policy with a fresh nonce
// and the client's redirect origin in form-action on the sign-in and consent
// pages, and an embedded data directory that only its owner can read.
// Two server starts in all: the pages borrow the worker's shared server (an
// http issuer, default settings), and the data directory's second start has an
// https issuer, on which the HSTS test samples its responses.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestStore, startServer, testBackend, type RunningServer, type TestStore } from "../helpers/server";
import { sharedSeededServer, type SharedServer } from "../helpers/sharedServer";
import { OPENID_CONFIGURATION_PATH, TOKEN_PATH, postForm, postmanToken } from "../helpers/oauth";
import { DEMO_POSTMAN, DEMO_SPA, DEMO_USER, authorizeUrl, newPkce } from "../helpers/codeFlow";
import { signInOverHttp } from "../helpers/portal";

const HSTS = "max-age=63072000; includeSubDomains";
const HTTPS_ISSUER = "https://id.example.test";

function directive(policy: string | null | undefined, name: string): string[] | undefined {
  const found = (policy ?? "").split(";").map((part) => part.trim().split(/\s+/)).find(([directiveName]) => directiveName === name);
  return found?.slice(1);
}

/** One response of each kind: fast-lane JSON, fast-lane error, a page, a 404 page, a redirect. */
async function sampleResponses(base: string): Promise<[string, Response][]> {
  return [
    ["discovery", await fetch(base + OPENID_CONFIGURATION_PATH)],
    ["token error", await postForm(base + TOKEN_PATH, { body: { grant_type: "nonsense" } })],
    ["login page", await fetch(base + "/login")],
    ["unknown page", await fetch(base + "/no-such-page")],
    ["authorize redirect", await fetch(authorizeUrl(base, { clientId: DEMO_SPA.clientId, redirectUri: DEMO_SPA.redirectUri, scope: "api", state: "s", pkce: newPkce() }), { redirect: "manual" })],
  ];
}

describe("pages and an http issuer", () => {
  let suite: SharedServer;
  let base: string;
  beforeAll(async () => {
    suite = await sharedSeededServer();
    base = suite.server.url;
  });
  afterAll(async () => {
    await suite?.stop();
  });

  test("an http issuer never sends Strict-Transport-Security", async () => {
    for (const [what, response] of await sampleResponses(base)) {
      expect(response.headers.get("strict-transport-security"), what).toBeNull();
    }
  });

  test("every page gets its own nonce, which Next.js puts on its scripts; nothing unsafe is allowed", async () => {
    const first = await fetch(base + "/login");
    const second = await fetch(base + "/login");
    const policies = [first.headers.get("content-security-policy"), second.headers.get("content-security-policy")];
    const nonces = policies.map((policy) => directive(policy, "script-src")?.find((source) => source.startsWith("'nonce-"))?.slice(7, -1));
    expect(nonces[0]).toBeTruthy();
    expect(nonces[0]).not.toBe(nonces[1]);
    const html = await first.text();
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((match) => match[0]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonces[0]}"`);
    expect(policies[0]).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(directive(policies[0], "object-src")).toEqual(["'none'"]);
    expect(directive(policies[0], "base-uri")).toEqual(["'none'"]);
    expect(directive(policies[0], "frame-ancestors")).toEqual(["'none'"]);
    expect(directive(policies[0], "form-action")).toEqual(["'self'"]);
  });

  test("a client's own Content-Security-Policy request header cannot choose the nonce", async () => {
    const response = await fetch(base + "/login", { headers: { "content-security-policy": "script-src 'nonce-chosenbyclient'" } });
    expect(await response.text()).not.toContain("chosenbyclient");
    expect(response.headers.get("content-security-policy")).not.toContain("chosenbyclient");
  });

  async function pendingLogin(client: { clientId: string; redirectUri: string }): Promise<URL> {
    const authorize = await fetch(
      authorizeUrl(base, { clientId: client.clientId, redirectUri: client.redirectUri, scope: "api", state: "s", pkce: newPkce() }),
      { redirect: "manual" },
    );
    const login = new URL(authorize.headers.get("location")!, base);
    expect(login.pathname).toBe("/login");
    return login;
  }

  test("the sign-in and consent pages of a pending authorization may send their forms on to the client's redirect origin, and only there", async () => {
    const postmanLogin = await pendingLogin(DEMO_POSTMAN);
    const postmanPage = await fetch(postmanLogin);
    expect(directive(postmanPage.headers.get("content-security-policy"), "form-action")).toEqual(["'self'", "https://oauth.pstmn.io"]);

    const spaLogin = await pendingLogin(DEMO_SPA);
    const spaPage = await fetch(spaLogin);
    expect(directive(spaPage.headers.get("content-security-policy"), "form-action")).toEqual(["'self'", "http://localhost:5173"]);
    // Signing in resumes the authorization, which asks for consent: that page may send its form on to the client too.
    const signedIn = await signInOverHttp(base, DEMO_USER.username, DEMO_USER.password, spaLogin.search);
    expect(signedIn.response.status).toBe(303);
    const resumed = await fetch(new URL(signedIn.response.headers.get("location")!, base), { redirect: "manual", headers: { cookie: signedIn.cookie } });
    const consentUrl = new URL(resumed.headers.get("location")!, base);
    expect(consentUrl.pathname).toBe("/consent");
    const consent = await fetch(consentUrl, { headers: { cookie: signedIn.cookie } });
    expect(await consent.text()).toContain("Allow");
    expect(directive(consent.headers.get("content-security-policy"), "form-action")).toEqual(["'self'", "http://localhost:5173"]);

    // Another page, or an unknown interaction: this origin only.
    for (const other of [`/login?interaction=${"x".repeat(43)}`, `/account${spaLogin.search}`]) {
      const response = await fetch(base + other, { redirect: "manual" });
      expect(directive(response.headers.get("content-security-policy"), "form-action"), other).toEqual(["'self'"]);
    }
  });
});

describe.skipIf(testBackend() === "postgres")("the embedded data directory is private to its owner", () => {
  let store: TestStore;
  let server: RunningServer | undefined;
  let dataDir: string;
  beforeAll(async () => {
    store = await createTestStore();
    delete store.env.GATEHOUSE_SECRET; // the generated secret.key must be private too
  });
  afterAll(async () => {
    await server?.stop();
    await store?.cleanup();
  });

  /** Every entry under the data directory with group or other permission bits. */
  function exposedEntries(): string[] {
    const exposed: string[] = [];
    const visit = (entry: string) => {
      const stat = fs.lstatSync(entry);
      if ((stat.mode & 0o077) !== 0) exposed.push(`${path.relative(dataDir, entry) || "."} ${(stat.mode & 0o777).toString(8)}`);
      if (stat.isDirectory()) for (const name of fs.readdirSync(entry)) visit(path.join(entry, name));
    };
    visit(dataDir);
    return exposed;
  }

  test("a new data directory: 0700, and every file in it owner-only, also after writes", async () => {
    dataDir = path.join(store.dataDir, "fresh", "data");
    store.env.GATEHOUSE_DATA_DIR = dataDir;
    // The test's own time for the start (an initdb, slow on a loaded machine), not the helper's usual 45 s.
    server = await startServer(store, {}, 110_000);
    expect(fs.statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(fs.existsSync(path.join(dataDir, "secret.key"))).toBe(true);
    expect(exposedEntries()).toEqual([]);

    for (let i = 0; i < 20; i++) await postmanToken(server.url);
    await signInOverHttp(server.url, DEMO_USER.username, DEMO_USER.password);
    await server.stop(); // a clean shutdown checkpoints: the WAL and table files are written
    server = undefined;
    expect(fs.readdirSync(path.join(dataDir, "pglite")).length).toBeGreaterThan(0);
    expect(exposedEntries()).toEqual([]);
  }, 180_000); // a first start in a new data directory: an initdb and every migration

  test("an existing install with loose permissions is tightened at start, and says so", async () => {
    fs.chmodSync(dataDir, 0o755);
    fs.chmodSync(path.join(dataDir, "secret.key"), 0o644);
    const wal = path.join(dataDir, "pglite", "pg_wal");
    fs.chmodSync(wal, 0o755);
    for (const name of fs.readdirSync(wal)) if (fs.statSync(path.join(wal, name)).isFile()) fs.chmodSync(path.join(wal, name), 0o666);
    expect(exposedEntries().length).toBeGreaterThan(2);

    // An https issuer: the HSTS test below samples this server's responses (no second start for it). The
    // first start seeded the demo data, which a non-loopback issuer refuses unless GATEHOUSE_DEMO=1 says so.
    server = await startServer(store, { GATEHOUSE_ISSUER: HTTPS_ISSUER, GATEHOUSE_DEMO: "1" });
    expect(exposedEntries()).toEqual([]);
    expect(server.output()).toMatch(/removed group and other access from \d+ files and directories/);
    await postmanToken(server.url);
    expect(exposedEntries()).toEqual([]);
  }, 60_000);

  describe("HSTS (RFC 6797)", () => {
    test("an https issuer: every response, fast lane and pages alike, carries Strict-Transport-Security", async () => {
      expect(server, "the server the test before started with an https issuer").toBeDefined();
      for (const [what, response] of await sampleResponses(server!.url)) {
        expect(response.headers.get("strict-transport-security"), what).toBe(HSTS);
      }
    });
  });
});
