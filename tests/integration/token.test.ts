// The token endpoint over real HTTP: client_credentials with both secret
// methods, RFC 9068 access tokens, and every refusal the endpoint can give.
// CONFORMANCE.md sections 3 (TK-08, TK-09, CC-*), 5 (CA-*) and 11 (BCP-06).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { decodeProtectedHeader } from "jose";
import { startSeededServer } from "../helpers/server";
import {
  API_SCOPE,
  ERROR_CHARACTERS,
  OPENID_CONFIGURATION_PATH,
  POSTMAN,
  SPA,
  basicAuthorization,
  expectOAuthError,
  fetchKids,
  getJson,
  postForm,
  postmanBasic,
  verifyAccessToken,
  type ExpectedError,
  type FormPost,
  type TokenSuccess,
} from "../helpers/oauth";

let suite: Awaited<ReturnType<typeof startSeededServer>>;
let base: string;
let tokenUrl: string;
let issuer: string;
let jwksUri: string;

beforeAll(async () => {
  suite = await startSeededServer();
  base = suite.server.url;
  const { body } = await getJson(base + OPENID_CONFIGURATION_PATH);
  issuer = body.issuer as string;
  tokenUrl = body.token_endpoint as string;
  jwksUri = body.jwks_uri as string;
});

afterAll(async () => {
  await suite?.stop();
});

const ONE_YEAR = 365 * 24 * 3600;

describe("client_credentials: the happy path", () => {
  const methods: Array<[string, () => FormPost]> = [
    [
      "client_secret_basic",
      () => ({ headers: { Authorization: postmanBasic() }, body: { grant_type: "client_credentials", scope: "api" } }),
    ],
    [
      "client_secret_post",
      () => ({
        body: { grant_type: "client_credentials", scope: "api", client_id: POSTMAN.clientId, client_secret: POSTMAN.secret },
      }),
    ],
  ];

  test.each(methods)("CA-01 / CC-01: %s gives 200, no-store and an RFC 9068 access token", async (_method, request) => {
    const response = await postForm(tokenUrl, request());
    const text = await response.text();
    expect(response.status, text).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json\b/);
    expect(response.headers.get("cache-control")).toMatch(/\bno-store\b/);

    const body = JSON.parse(text) as TokenSuccess;
    expect(body.token_type).toBe("Bearer");
    expect(typeof body.access_token).toBe("string");
    expect(body.access_token).toMatch(/^[\x20-\x7E]+$/);
    expect(Number.isInteger(body.expires_in)).toBe(true);
    expect(body.expires_in).toBeGreaterThan(0);
    expect(body.expires_in).toBeLessThan(ONE_YEAR);
    expect(body.scope).toBe("api");
    // CC-01: no user, so neither a refresh token nor an ID token.
    expect(body).not.toHaveProperty("refresh_token");
    expect(body).not.toHaveProperty("id_token");

    // Verified with the keys the server publishes at its jwks_uri.
    const { payload, protectedHeader } = await verifyAccessToken(body.access_token, jwksUri, {
      issuer,
      audience: API_SCOPE.resource,
    });
    expect(protectedHeader.typ).toBe("at+jwt");
    expect(["RS256", "ES256"]).toContain(protectedHeader.alg);
    expect(await fetchKids(base)).toContain(protectedHeader.kid);

    // RFC 9068 §2.2 claims.
    expect(payload.iss).toBe(issuer);
    expect(payload.sub).toBe(POSTMAN.clientId);
    expect(payload.aud).toBe(API_SCOPE.resource);
    expect(payload.client_id).toBe(POSTMAN.clientId);
    expect(payload.scope).toBe("api");
    expect(typeof payload.jti).toBe("string");
    expect((payload.jti as string).length).toBeGreaterThan(0);
    expect(typeof payload.iat).toBe("number");
    expect(typeof payload.exp).toBe("number");
    const now = Math.floor(Date.now() / 1000);
    expect(Math.abs(payload.iat! - now)).toBeLessThanOrEqual(300);
    expect(payload.exp! - payload.iat!).toBe(body.expires_in);
  });

  test("CA-04: Basic credentials are form-urlencoded before base64 (an encoded id still authenticates)", async () => {
    // "postman" has nothing to escape; percent-encoding its letters must decode to the same id.
    const encodedId = [...POSTMAN.clientId].map((ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`).join("");
    const authorization = `Basic ${Buffer.from(`${encodedId}:${POSTMAN.secret}`).toString("base64")}`;
    const response = await postForm(tokenUrl, {
      headers: { Authorization: authorization },
      body: { grant_type: "client_credentials", scope: "api" },
    });
    expect(response.status, await response.clone().text()).toBe(200);
    const body = (await response.json()) as TokenSuccess;
    const { payload } = await verifyAccessToken(body.access_token, jwksUri, { issuer });
    expect(payload.client_id).toBe(POSTMAN.clientId);
  });

  test("CA-04: the Basic scheme name is case-insensitive", async () => {
    const response = await postForm(tokenUrl, {
      headers: { Authorization: postmanBasic().replace(/^Basic/, "basic") },
      body: { grant_type: "client_credentials", scope: "api" },
    });
    expect(response.status, await response.text()).toBe(200);
  });

  test("CA-03: a body client_id equal to the Basic client id is accepted", async () => {
    const response = await postForm(tokenUrl, {
      headers: { Authorization: postmanBasic() },
      body: { grant_type: "client_credentials", scope: "api", client_id: POSTMAN.clientId },
    });
    expect(response.status, await response.text()).toBe(200);
  });

  test("CC-01: several scopes: all granted, audience from the scope's resource", async () => {
    const response = await postForm(tokenUrl, {
      headers: { Authorization: postmanBasic() },
      body: { grant_type: "client_credentials", scope: "api profile" },
    });
    const body = (await response.json()) as TokenSuccess;
    expect(response.status).toBe(200);
    expect(body.scope!.split(" ").sort()).toEqual(["api", "profile"]);
    const { payload } = await verifyAccessToken(body.access_token, jwksUri, { issuer, audience: API_SCOPE.resource });
    expect((payload.scope as string).split(" ").sort()).toEqual(["api", "profile"]);
  });

  test("CC-02: a repeated scope value is granted once and the response lists what was granted", async () => {
    const response = await postForm(tokenUrl, {
      headers: { Authorization: postmanBasic() },
      body: { grant_type: "client_credentials", scope: "api api" },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as TokenSuccess;
    expect(body.scope).toBe("api");
  });

  test("CC-01: every token has its own jti (and verifies)", async () => {
    const request = () =>
      postForm(tokenUrl, {
        headers: { Authorization: postmanBasic() },
        body: { grant_type: "client_credentials", scope: "api" },
      }).then((response) => response.json() as Promise<TokenSuccess>);
    const tokens = await Promise.all([request(), request(), request(), request()]);
    const jtis = new Set<string>();
    for (const token of tokens) {
      const { payload } = await verifyAccessToken(token.access_token, jwksUri, { issuer });
      jtis.add(payload.jti as string);
    }
    expect(jtis.size).toBe(tokens.length);
    expect(decodeProtectedHeader(tokens[0]!.access_token).kid).toBeTruthy();
  });

  test("an unknown extra parameter is ignored (RFC 6749 §3.2)", async () => {
    const response = await postForm(tokenUrl, {
      headers: { Authorization: postmanBasic() },
      body: { grant_type: "client_credentials", scope: "api", extra: "foobar" },
    });
    expect(response.status, await response.text()).toBe(200);
  });
});

interface ErrorCase extends ExpectedError {
  title: string;
  request: () => FormPost;
}

const errorCases: ErrorCase[] = [
  {
    title: "TK-09: a JSON body (wrong content type) is invalid_request",
    request: () => ({
      headers: { Authorization: postmanBasic(), "Content-Type": "application/json" },
      body: JSON.stringify({ grant_type: "client_credentials", scope: "api" }),
    }),
    status: 400,
    error: "invalid_request",
    description: /x-www-form-urlencoded/,
  },
  {
    title: "TK-09: a text/plain body is invalid_request",
    request: () => ({
      headers: { Authorization: postmanBasic(), "Content-Type": "text/plain" },
      body: "grant_type=client_credentials",
    }),
    status: 400,
    error: "invalid_request",
    description: /x-www-form-urlencoded/,
  },
  {
    title: "TK-08: missing grant_type is invalid_request",
    request: () => ({ headers: { Authorization: postmanBasic() }, body: { scope: "api" } }),
    status: 400,
    error: "invalid_request",
    description: /grant_type/,
  },
  {
    title: "TK-08: an empty grant_type counts as missing (invalid_request)",
    request: () => ({ headers: { Authorization: postmanBasic() }, body: { grant_type: "", scope: "api" } }),
    status: 400,
    error: "invalid_request",
    description: /grant_type/,
  },
  {
    title: "TK-09: a repeated parameter is invalid_request",
    request: () => ({
      headers: { Authorization: postmanBasic() },
      body: [
        ["grant_type", "client_credentials"],
        ["grant_type", "client_credentials"],
      ],
    }),
    status: 400,
    error: "invalid_request",
    description: /grant_type/,
  },
  {
    title: "TK-09: a repeated scope parameter is invalid_request",
    request: () => ({
      headers: { Authorization: postmanBasic() },
      body: [
        ["grant_type", "client_credentials"],
        ["scope", "api"],
        ["scope", "profile"],
      ],
    }),
    status: 400,
    error: "invalid_request",
    description: /scope/,
  },
  {
    title: "TK-08: an unknown grant_type is unsupported_grant_type",
    request: () => ({ headers: { Authorization: postmanBasic() }, body: { grant_type: "urn:example:made-up" } }),
    status: 400,
    error: "unsupported_grant_type",
    description: /client_credentials/,
  },
  {
    title: "TK-08: a grant the server does not implement (device_code) is unsupported_grant_type",
    request: () => ({
      headers: { Authorization: postmanBasic() },
      body: { grant_type: "urn:ietf:params:oauth:grant-type:device_code", device_code: "x" },
    }),
    status: 400,
    error: "unsupported_grant_type",
  },
  {
    title: "BCP-06: grant_type=password is refused",
    request: () => ({
      headers: { Authorization: postmanBasic() },
      body: { grant_type: "password", username: "alice", password: "alice-password", scope: "api" },
    }),
    status: 400,
    error: ["unsupported_grant_type", "unauthorized_client"],
  },
  {
    title: "CA-02: an unknown client (Basic) is 401 invalid_client with WWW-Authenticate",
    request: () => ({
      headers: { Authorization: basicAuthorization("no-such-client", "whatever") },
      body: { grant_type: "client_credentials" },
    }),
    status: 401,
    error: "invalid_client",
    wwwAuthenticate: /^Basic\b/i,
  },
  {
    title: "CA-02: an unknown client (client_secret_post) is 401 invalid_client",
    request: () => ({ body: { grant_type: "client_credentials", client_id: "no-such-client", client_secret: "x" } }),
    status: 401,
    error: "invalid_client",
  },
  {
    title: "CA-02: a wrong secret with Basic is 401 invalid_client with WWW-Authenticate",
    request: () => ({
      headers: { Authorization: basicAuthorization(POSTMAN.clientId, "wrong-secret") },
      body: { grant_type: "client_credentials", scope: "api" },
    }),
    status: 401,
    error: "invalid_client",
    wwwAuthenticate: /^Basic\b/i,
  },
  {
    title: "CA-02: a wrong secret with client_secret_post is 401 invalid_client",
    request: () => ({
      body: { grant_type: "client_credentials", client_id: POSTMAN.clientId, client_secret: "wrong-secret" },
    }),
    status: 401,
    error: "invalid_client",
  },
  {
    title: "CA-02: the unknown-client and wrong-secret answers are the same (no client enumeration)",
    request: () => ({ body: { grant_type: "client_credentials", client_id: "nobody", client_secret: "postman-secret" } }),
    status: 401,
    error: "invalid_client",
    description: /unknown client, disabled client, or wrong secret/,
  },
  {
    title: "CA-03: a Basic header and client_secret in the body at once are refused",
    request: () => ({
      headers: { Authorization: postmanBasic() },
      body: { grant_type: "client_credentials", client_id: POSTMAN.clientId, client_secret: POSTMAN.secret },
    }),
    status: 400,
    error: ["invalid_request", "invalid_client"],
    description: /exactly one method/,
  },
  {
    title: "CA-03: a Basic client id that differs from the body client_id is refused",
    request: () => ({
      headers: { Authorization: postmanBasic() },
      body: { grant_type: "client_credentials", client_id: SPA.clientId },
    }),
    status: 400,
    error: ["invalid_request", "invalid_client"],
    description: /differs/,
  },
  {
    title: "CA-04: a malformed Basic header (not base64) is refused",
    request: () => ({ headers: { Authorization: "Basic !!!not-base64!!!" }, body: { grant_type: "client_credentials" } }),
    status: 400,
    error: ["invalid_request", "invalid_client"],
  },
  {
    title: "CA-04: Basic credentials without a colon are refused",
    request: () => ({
      headers: { Authorization: `Basic ${Buffer.from("postmanpostman-secret").toString("base64")}` },
      body: { grant_type: "client_credentials" },
    }),
    status: 400,
    error: ["invalid_request", "invalid_client"],
  },
  {
    title: "CA-04: Basic credentials that are not valid form-urlencoding (%zz) are refused",
    request: () => ({
      headers: { Authorization: `Basic ${Buffer.from("postman%zz:postman-secret").toString("base64")}` },
      body: { grant_type: "client_credentials" },
    }),
    status: 400,
    error: ["invalid_request", "invalid_client"],
    description: /urlencoded/,
  },
  {
    title: "CA-04: an empty Basic header is refused",
    request: () => ({ headers: { Authorization: "Basic" }, body: { grant_type: "client_credentials" } }),
    status: 400,
    error: ["invalid_request", "invalid_client"],
  },
  {
    title: "CA-04: Basic credentials with an empty client id are refused",
    request: () => ({
      headers: { Authorization: `Basic ${Buffer.from(":postman-secret").toString("base64")}` },
      body: { grant_type: "client_credentials" },
    }),
    status: 400,
    error: ["invalid_request", "invalid_client"],
  },
  {
    title: "CA-04: another Authorization scheme (Bearer) is refused",
    request: () => ({ headers: { Authorization: "Bearer abc.def.ghi" }, body: { grant_type: "client_credentials" } }),
    status: 400,
    error: ["invalid_request", "invalid_client"],
  },
  {
    title: "no client authentication at all is 401 invalid_client",
    request: () => ({ body: { grant_type: "client_credentials", scope: "api" } }),
    status: 401,
    error: "invalid_client",
  },
  {
    title: "CA-06: a JWT client assertion (not supported) is 401 invalid_client",
    request: () => ({
      body: {
        grant_type: "client_credentials",
        client_id: POSTMAN.clientId,
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: "eyJhbGciOiJub25lIn0.e30.",
      },
    }),
    status: 401,
    error: "invalid_client",
  },
  {
    title: "CC-04: a public client (spa, auth method none) cannot use client_credentials",
    request: () => ({ body: { grant_type: "client_credentials", client_id: SPA.clientId, scope: "api" } }),
    status: 400,
    error: ["unauthorized_client", "invalid_client"],
  },
  {
    title: "CA-05: a public client that sends a secret (client_secret_post) is refused",
    request: () => ({
      body: { grant_type: "client_credentials", client_id: SPA.clientId, client_secret: "made-up-secret" },
    }),
    status: 401,
    error: "invalid_client",
    description: /public client/,
  },
  {
    title: "CA-05: a public client that sends a secret (client_secret_basic) is refused",
    request: () => ({
      headers: { Authorization: basicAuthorization(SPA.clientId, "made-up-secret") },
      body: { grant_type: "client_credentials" },
    }),
    status: 401,
    error: "invalid_client",
    description: /public client/,
    wwwAuthenticate: /^Basic\b/i,
  },
  {
    title: "a confidential client that sends no secret is 401 invalid_client (and told about public clients)",
    request: () => ({ body: { grant_type: "client_credentials", client_id: POSTMAN.clientId, scope: "api" } }),
    status: 401,
    error: "invalid_client",
    description: /public client/,
  },
  {
    title: "CC-02: an unknown scope is invalid_scope",
    request: () => ({ headers: { Authorization: postmanBasic() }, body: { grant_type: "client_credentials", scope: "unknownscope" } }),
    status: 400,
    error: "invalid_scope",
    description: /unknownscope/,
  },
  {
    title: "CC-02: an unknown scope next to an allowed one is invalid_scope (not silently dropped)",
    request: () => ({
      headers: { Authorization: postmanBasic() },
      body: { grant_type: "client_credentials", scope: "api unknownscope" },
    }),
    status: 400,
    error: "invalid_scope",
    description: /unknownscope/,
  },
  {
    title: "CC-02: a user scope (openid) is invalid_scope for client_credentials",
    request: () => ({ headers: { Authorization: postmanBasic() }, body: { grant_type: "client_credentials", scope: "openid" } }),
    status: 400,
    error: "invalid_scope",
    description: /openid/,
  },
  {
    title: "CC-02: offline_access (needs a user) is invalid_scope for client_credentials",
    request: () => ({
      headers: { Authorization: postmanBasic() },
      body: { grant_type: "client_credentials", scope: "api offline_access" },
    }),
    status: 400,
    error: "invalid_scope",
    description: /offline_access/,
  },
  ...(
    [
      ["U+0001", "api\u0001"],
      ["a tab", "api\tprofile"],
      ["a newline", "api\nprofile"],
      ["DEL", "api\u007f"],
      ["NUL", "api\u0000"],
      ["a double quote", 'api"'],
      ["a backslash", "api\\"],
    ] as const
  ).map(
    ([what, scope]): ErrorCase => ({
      title: `CC-03: a scope containing ${what} is invalid_scope`,
      request: () => ({ headers: { Authorization: postmanBasic() }, body: { grant_type: "client_credentials", scope } }),
      status: 400,
      error: "invalid_scope",
    }),
  ),
  {
    title: "GET on the token endpoint is a JSON 405",
    request: () => ({ method: "GET" }),
    status: 405,
    error: "invalid_request",
  },
  {
    title: "PUT on the token endpoint is a JSON 405",
    request: () => ({ method: "PUT", headers: { Authorization: postmanBasic() }, body: { grant_type: "client_credentials" } }),
    status: 405,
    error: "invalid_request",
  },
  {
    title: "a body that is not UTF-8 is invalid_request",
    request: () => ({
      headers: { Authorization: postmanBasic(), "Content-Type": "application/x-www-form-urlencoded" },
      body: Uint8Array.from([...Buffer.from("grant_type=client_credentials&scope="), 0xff, 0xfe, 0xc3]),
    }),
    status: 400,
    error: "invalid_request",
  },
  {
    title: "a body over 64 KiB is refused with 413",
    request: () => ({
      headers: { Authorization: postmanBasic() },
      body: { grant_type: "client_credentials", scope: "api", padding: "x".repeat(70 * 1024) },
    }),
    status: 413,
    error: "invalid_request",
  },
  {
    title: "a client_id containing NUL is 401 invalid_client, not a 500",
    request: () => ({ body: { grant_type: "client_credentials", client_id: "post\u0000man", client_secret: "x" } }),
    status: 401,
    error: "invalid_client",
  },
  {
    title: "a Basic client id containing NUL is 401 invalid_client, not a 500",
    request: () => ({
      headers: { Authorization: basicAuthorization("post\u0000man", POSTMAN.secret) },
      body: { grant_type: "client_credentials" },
    }),
    status: 401,
    error: "invalid_client",
    wwwAuthenticate: /^Basic\b/i,
  },
];

describe("token endpoint errors (TK-09 checked on every one: status, JSON error code, description, no-store, no 5xx)", () => {
  test.each(errorCases.map((c) => [c.title, c] as const))("%s", async (_title, errorCase) => {
    const response = await postForm(tokenUrl, errorCase.request());
    await expectOAuthError(response, errorCase);
  });

  test("TK-09: the 405 carries an Allow header naming POST", async () => {
    const response = await fetch(tokenUrl);
    await response.arrayBuffer();
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toMatch(/\bPOST\b/);
  });

  test("CA-02: a failed client_secret_post gives no Basic challenge it did not ask for, and never echoes the secret", async () => {
    const secret = "Sup3r-Secret-Value";
    const response = await postForm(tokenUrl, {
      body: { grant_type: "client_credentials", client_id: POSTMAN.clientId, client_secret: secret },
    });
    const text = await response.text();
    expect(response.status).toBe(401);
    expect(text).not.toContain(secret);
  });
});

/** A small seeded PRNG (mulberry32), so a failing fuzz case can be replayed. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("fuzz: garbage bodies and headers never produce a 5xx", () => {
  const seed = Number(process.env.GATEHOUSE_FUZZ_SEED ?? 20261126);
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const int = (max: number) => Math.floor(random() * max);
  const bytes = (length: number) => Uint8Array.from({ length }, () => int(256));
  // By code point, so a surrogate pair is never split into a lone surrogate.
  const text = (length: number, alphabet: string) => {
    const chars = Array.from(alphabet);
    return Array.from({ length }, () => chars[int(chars.length)]).join("");
  };
  const printable = Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i)).join("");
  const nasty = "\u0000\u0001\t\n\r \"\\%&=+;:,/?#[]@!$'()*é€😀\u202e";

  const names = ["grant_type", "client_id", "client_secret", "scope", "code", "redirect_uri", "refresh_token", "", "x"];
  const values = () =>
    pick([
      "client_credentials",
      "password",
      "authorization_code",
      "refresh_token",
      POSTMAN.clientId,
      POSTMAN.secret,
      SPA.clientId,
      "post\u0000man",
      "api",
      "openid api",
      "",
      text(1 + int(40), printable),
      text(1 + int(12), nasty),
      "a".repeat(int(5000)),
    ]);

  const formBody = (): string => {
    const params: string[] = [];
    const count = int(7);
    for (let i = 0; i < count; i++) {
      const raw = random() < 0.2;
      const name = raw ? text(int(8), printable) : encodeURIComponent(pick(names));
      const value = raw ? text(int(20), printable) : encodeURIComponent(values());
      params.push(random() < 0.1 ? name : `${name}=${value}`);
    }
    return params.join(pick(["&", "&", "&", ";", "&&"]));
  };

  const authorizations = () =>
    pick([
      undefined,
      postmanBasic(),
      basicAuthorization(values(), values()),
      `Basic ${Buffer.from(bytes(int(40))).toString("base64")}`,
      `Basic ${text(int(30), printable).trim()}`,
      `Bearer ${text(int(30), printable).trim()}`,
      text(1 + int(30), printable).trim() || "x",
      "Basic =",
      "Basic ====",
      `Basic ${Buffer.from(`%${text(2, printable)}:${text(4, printable)}`).toString("base64")}`,
    ]);

  const contentTypes = [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-8",
    "APPLICATION/X-WWW-FORM-URLENCODED;charset=latin1",
    "application/json",
    "multipart/form-data; boundary=xyz",
    "text/plain",
    ";;;",
    "application/x-www-form-urlencoded; boundary",
    undefined,
  ];

  const cases = Array.from({ length: 50 }, (_, index) => {
    const method = random() < 0.85 ? "POST" : pick(["GET", "PUT", "PATCH", "DELETE", "OPTIONS"]);
    const headers: Record<string, string> = {};
    const contentType = pick(contentTypes);
    if (contentType) headers["Content-Type"] = contentType;
    const authorization = authorizations();
    if (authorization) headers.Authorization = authorization;
    if (random() < 0.2) headers["X-Forwarded-For"] = text(int(20), printable).trim() || "1.2.3.4";
    if (random() < 0.1) headers["Accept"] = text(int(20), printable).trim() || "*/*";
    let body: string | Uint8Array | undefined;
    if (method !== "GET" && method !== "OPTIONS") {
      body = pick<() => string | Uint8Array>([
        formBody,
        formBody,
        formBody,
        () => bytes(int(300)),
        () => JSON.stringify({ grant_type: "client_credentials", client_id: values() }),
        () => "",
        () => "%".repeat(int(50)),
        () => "grant_type=client_credentials&" + "scope=api&".repeat(int(20)),
      ])();
    }
    return { index, method, headers, body };
  });

  test(`${cases.length} random requests (seed ${seed}): every answer is < 500, and every error is a TK-09 error`, async () => {
    const failures: string[] = [];
    const run = async (fuzz: (typeof cases)[number]) => {
      let response: Response;
      try {
        response = await fetch(tokenUrl, { method: fuzz.method, headers: fuzz.headers, body: fuzz.body as BodyInit | undefined });
      } catch (error) {
        failures.push(`#${fuzz.index}: request failed: ${(error as Error).message}`);
        return;
      }
      const textBody = await response.text();
      const describeCase = () =>
        `#${fuzz.index} ${fuzz.method} ${JSON.stringify(fuzz.headers)} ${JSON.stringify(
          typeof fuzz.body === "string" ? fuzz.body.slice(0, 200) : fuzz.body ? `<${fuzz.body.length} bytes>` : null,
        )} -> ${response.status} ${textBody.slice(0, 200)}`;
      if (response.status >= 500) {
        failures.push(describeCase());
        return;
      }
      if (fuzz.method === "OPTIONS") {
        // No Origin, so not a CORS preflight: 204 with Allow, and never an Access-Control header.
        if (response.status !== 204 || !response.headers.get("allow") || response.headers.get("access-control-allow-origin")) {
          failures.push(`${describeCase()} (bad OPTIONS answer)`);
        }
        return;
      }
      if (response.status === 200) {
        const token = JSON.parse(textBody) as TokenSuccess;
        if (token.token_type !== "Bearer") failures.push(`${describeCase()} (success without Bearer)`);
        return;
      }
      try {
        const error = JSON.parse(textBody) as { error?: string; error_description?: string };
        if (!error.error || !ERROR_CHARACTERS.test(error.error)) failures.push(`${describeCase()} (bad error code)`);
        if (!error.error_description || !ERROR_CHARACTERS.test(error.error_description)) {
          failures.push(`${describeCase()} (bad error_description)`);
        }
        if (!/\bno-store\b/.test(response.headers.get("cache-control") ?? "")) failures.push(`${describeCase()} (no no-store)`);
      } catch {
        failures.push(`${describeCase()} (not JSON)`);
      }
    };
    // A few at a time: concurrency is part of the fuzz, but keep the two cores usable.
    for (let i = 0; i < cases.length; i += 5) await Promise.all(cases.slice(i, i + 5).map(run));
    expect(failures).toEqual([]);
  });

  test("the server is still healthy after the fuzz", async () => {
    const response = await postForm(tokenUrl, {
      headers: { Authorization: postmanBasic() },
      body: { grant_type: "client_credentials", scope: "api" },
    });
    expect(response.status).toBe(200);
    expect(suite.server.output()).not.toMatch(/fast lane failure/);
  });
});
