// GET/POST /connect/logout (lib/oauth/logout.ts): RP-initiated logout, rows
// LO-01..LO-09 of shared/CONFORMANCE.md section 9.
import { beforeEach, describe, expect, it } from "vitest";
import { LOGOUT_CONFIRM_FIELD } from "@/lib/oauth/logout";
import { LOGOUT_CALLBACK, LOGOUT_NATIVE_CALLBACK, createLogoutFixture, type LogoutFixture } from "./fakes";
import { expectStylesAllowedByHash } from "../helpers/inlineStyles";

const ENDPOINT = "https://id.example.test/connect/logout";

let fx: LogoutFixture;
beforeEach(async () => {
  fx = await createLogoutFixture();
});

function get(params: Record<string, string> = {}): Promise<Response> {
  return fx.endpoint(new Request(`${ENDPOINT}?${new URLSearchParams(params)}`));
}

function post(params: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fx.endpoint(
    new Request(ENDPOINT, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(params).toString(),
    }),
  );
}

function expectPageHeaders(response: Response) {
  expect(response.headers.get("cache-control")).toBe("no-store");
  expect(response.headers.get("x-frame-options")).toBe("DENY");
  expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
}

async function expectErrorPage(response: Response, status = 400): Promise<string> {
  expect(response.status).toBe(status);
  expect(response.headers.get("location")).toBeNull();
  expect(response.headers.get("content-type")).toMatch(/^text\/html/);
  expectPageHeaders(response);
  expect(fx.ended).toEqual([]);
  const html = await response.text();
  expectStylesAllowedByHash(html, response.headers.get("content-security-policy"));
  return html;
}

async function expectConfirmation(response: Response): Promise<string> {
  expect(response.status).toBe(200);
  expect(response.headers.get("location")).toBeNull();
  expect(response.headers.get("set-cookie")).toBeNull();
  const html = await response.text();
  expect(html).toContain("Sign out of Gatehouse?");
  expect(html).toContain('method="post"');
  expect(html).toContain(`name="${LOGOUT_CONFIRM_FIELD}"`);
  expect(fx.ended).toEqual([]);
  expectStylesAllowedByHash(html, response.headers.get("content-security-policy"));
  return html;
}

function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[match[1]!] = match[2]!.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  }
  return fields;
}

/** A JWS with the same payload but alg none and no signature. */
function reencodeAsNone(token: string): string {
  const payload = token.split(".")[1]!;
  const header = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
  return `${header}.${payload}.`;
}

describe("LO-01 / LO-02: hint for this session + registered post_logout_redirect_uri", () => {
  it("ends the session, clears the cookie and redirects with state echoed exactly and nothing else", async () => {
    const sessionId = fx.session!.sessionId;
    const state = "st a/te+&=é";
    const response = await get({ id_token_hint: await fx.idToken(), post_logout_redirect_uri: LOGOUT_CALLBACK, state });
    expect(response.status).toBe(303);
    expectPageHeaders(response);
    const location = new URL(response.headers.get("location")!);
    expect(location.origin + location.pathname).toBe(LOGOUT_CALLBACK);
    expect([...location.searchParams.keys()]).toEqual(["state"]);
    expect(location.searchParams.get("state")).toBe(state);
    expect(fx.ended).toEqual([sessionId]);
    expect(response.headers.getSetCookie()).toEqual([expect.stringMatching(/Max-Age=0/)]);
  });

  it("LO-02: without state the URI is exactly the registered one", async () => {
    const response = await get({ id_token_hint: await fx.idToken(), post_logout_redirect_uri: LOGOUT_CALLBACK });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(LOGOUT_CALLBACK);
    expect(fx.ended).toHaveLength(1);
  });

  it("accepts the same request by POST (form body), with client_id matching the hint", async () => {
    const response = await post({ id_token_hint: await fx.idToken(), post_logout_redirect_uri: LOGOUT_CALLBACK, client_id: "spa", state: "s1" });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(`${LOGOUT_CALLBACK}?state=s1`);
    expect(fx.ended).toHaveLength(1);
  });

  it("without a session there is nothing to end, and the redirect still happens", async () => {
    const hint = await fx.idToken();
    fx.session = null;
    const response = await get({ id_token_hint: hint, post_logout_redirect_uri: LOGOUT_CALLBACK, state: "x" });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(`${LOGOUT_CALLBACK}?state=x`);
    expect(fx.ended).toEqual([]);
  });

  it("a client without ept:logout gets no redirect", async () => {
    const client = (await fx.clients.findClientByClientId("no-logout"))!;
    const response = await get({ id_token_hint: await fx.idToken({ client }), post_logout_redirect_uri: "https://nolo.example.test/bye" });
    await expectErrorPage(response);
  });
});

describe("LO-03 / LO-04: only an exactly registered URI is redirected to", () => {
  const variants = [
    "https://evil.example.test/",
    `${LOGOUT_CALLBACK}?foo=bar`,
    `${LOGOUT_CALLBACK}/`,
    "https://spa.example.test:443/signed-out",
    "https://SPA.example.test/signed-out",
    "https://other.example.test/bye", // registered, but for another client
  ];
  it.each(variants)("%s → error page, session kept", async (uri) => {
    const response = await get({ id_token_hint: await fx.idToken(), post_logout_redirect_uri: uri, state: "s" });
    const html = await expectErrorPage(response);
    expect(html).not.toContain(uri.replace(/&/g, "&amp;").replace("https://", ""));
  });
});

describe("LO-05 / LO-06: a hint we did not sign is invalid: error page, no redirect", () => {
  it("LO-05: alg none", async () => {
    const hint = reencodeAsNone(await fx.idToken());
    await expectErrorPage(await get({ id_token_hint: hint, post_logout_redirect_uri: LOGOUT_CALLBACK, state: "s" }));
  });

  it("LO-06: signed with a foreign key", async () => {
    const hint = await fx.idToken({ ring: fx.foreignKeys });
    await expectErrorPage(await get({ id_token_hint: hint, post_logout_redirect_uri: LOGOUT_CALLBACK, state: "s" }));
  });

  it("a tampered payload", async () => {
    const [header, , signature] = (await fx.idToken()).split(".");
    const payload = Buffer.from(JSON.stringify({ iss: fx.config.issuer, sub: "x", aud: "spa" })).toString("base64url");
    await expectErrorPage(await get({ id_token_hint: `${header}.${payload}.${signature}`, post_logout_redirect_uri: LOGOUT_CALLBACK }));
  });

  it("signed by our key but for another issuer", async () => {
    const hint = await fx.idToken({ issuer: "https://other-issuer.example.test" });
    await expectErrorPage(await get({ id_token_hint: hint, post_logout_redirect_uri: LOGOUT_CALLBACK }));
  });

  it("garbage", async () => {
    await expectErrorPage(await get({ id_token_hint: "not-a-jwt" }));
  });
});

describe("LO-07: post_logout_redirect_uri without id_token_hint", () => {
  it("without client_id: error page", async () => {
    await expectErrorPage(await get({ post_logout_redirect_uri: LOGOUT_CALLBACK, state: "s" }));
  });

  it("with client_id: a confirmation, whose same-origin POST logs out and then redirects", async () => {
    const sessionId = fx.session!.sessionId;
    const response = await get({ post_logout_redirect_uri: LOGOUT_CALLBACK, client_id: "spa", state: "s&1" });
    const html = await expectConfirmation(response);
    // The form's redirect must be allowed by CSP form-action.
    expect(response.headers.get("content-security-policy")).toContain("form-action 'self' https://spa.example.test");
    const fields = hiddenFields(html);
    expect(fields).toEqual({ post_logout_redirect_uri: LOGOUT_CALLBACK, client_id: "spa", state: "s&1", [LOGOUT_CONFIRM_FIELD]: "yes" });
    const confirmed = await post(fields, { "sec-fetch-site": "same-origin", origin: "https://id.example.test" });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get("location")).toBe(`${LOGOUT_CALLBACK}?state=s%261`);
    expect(fx.ended).toEqual([sessionId]);
    expect(confirmed.headers.getSetCookie()).toHaveLength(1);
  });
});

describe("a native app's private-use scheme redirect (RFC 8252 §7.1)", () => {
  it("the confirmation's form-action names the app's scheme, so the redirect after the post is allowed", async () => {
    const response = await get({ post_logout_redirect_uri: LOGOUT_NATIVE_CALLBACK, client_id: "native" });
    await expectConfirmation(response);
    expect(response.headers.get("content-security-policy")).toMatch(/form-action 'self' com\.example\.app:$/);
  });
});

describe("LO-08: requests not tied to the session are confirmed; no redirect without a registered URI", () => {
  it("no parameters: confirmation, then the signed-out page", async () => {
    const html = await expectConfirmation(await get());
    const confirmed = await post(hiddenFields(html), { origin: "https://id.example.test" });
    expect(confirmed.status).toBe(200);
    expect(confirmed.headers.get("location")).toBeNull();
    expect(await confirmed.text()).toContain("You are signed out");
    expect(fx.ended).toHaveLength(1);
    expect(confirmed.headers.getSetCookie()).toHaveLength(1);
  });

  it("only state: confirmation, then the signed-out page (state is not used)", async () => {
    const html = await expectConfirmation(await get({ state: "only" }));
    const confirmed = await post(hiddenFields(html), { "sec-fetch-site": "same-origin" });
    expect(confirmed.status).toBe(200);
    expect(confirmed.headers.get("location")).toBeNull();
    expect(fx.ended).toHaveLength(1);
  });

  it("id_token_hint + state for this session: signed out at once, no redirect", async () => {
    const response = await get({ id_token_hint: await fx.idToken(), state: "s" });
    expect(response.status).toBe(200);
    expect(response.headers.get("location")).toBeNull();
    expect(await response.text()).toContain("You are signed out");
    expect(fx.ended).toHaveLength(1);
  });

  it("a hint for another session asks first", async () => {
    const hint = await fx.idToken({ sessionId: crypto.randomUUID() });
    const html = await expectConfirmation(await get({ id_token_hint: hint, post_logout_redirect_uri: LOGOUT_CALLBACK }));
    expect(hiddenFields(html).id_token_hint).toBe(hint);
  });

  it("no session and no parameters: the signed-out page", async () => {
    fx.session = null;
    const response = await get();
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("You are signed out");
  });

  it("a confirmation from another site is refused", async () => {
    const variants: Record<string, string>[] = [{ "sec-fetch-site": "cross-site", origin: "https://id.example.test" }, { origin: "https://evil.example.test" }, {}];
    for (const headers of variants) {
      const response = await post({ [LOGOUT_CONFIRM_FIELD]: "yes" }, headers);
      await expectErrorPage(response, 403);
    }
  });

  it("a cross-site POST without the confirmation field is an ordinary request (confirmation shown)", async () => {
    await expectConfirmation(await post({ state: "s" }, { "sec-fetch-site": "cross-site" }));
  });
});

describe("LO-09: client_id and expiry", () => {
  it("client_id that does not match the hint's aud: error page", async () => {
    const response = await get({ id_token_hint: await fx.idToken(), client_id: "other", post_logout_redirect_uri: "https://other.example.test/bye" });
    await expectErrorPage(response);
  });

  it("unknown client_id: error page", async () => {
    await expectErrorPage(await get({ client_id: "nobody", post_logout_redirect_uri: LOGOUT_CALLBACK }));
    await expectErrorPage(await get({ client_id: "nobody" }));
  });

  it("an expired hint is still accepted", async () => {
    const hint = await fx.idToken({ now: Date.now() - 48 * 3600 * 1000 });
    const response = await get({ id_token_hint: hint, post_logout_redirect_uri: LOGOUT_CALLBACK, state: "old" });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(`${LOGOUT_CALLBACK}?state=old`);
    expect(fx.ended).toHaveLength(1);
  });
});

describe("request shape", () => {
  it("a repeated parameter is an error page", async () => {
    const response = await fx.endpoint(new Request(`${ENDPOINT}?state=a&state=b`));
    await expectErrorPage(response);
  });

  it("other methods: 405 with Allow", async () => {
    const response = await fx.endpoint(new Request(ENDPOINT, { method: "PUT" }));
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, POST");
  });

  it("a POST that is not a form: error page", async () => {
    const response = await fx.endpoint(new Request(ENDPOINT, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }));
    await expectErrorPage(response, 415);
  });
});
