// Malformed HTTP requests for the fuzz tests (tests/faults/httpFuzz.test.ts and
// its short twin in tests/integration): generated with fast-check, written on a
// raw socket (fetch and node:http's client would normalize or refuse most of
// them), each with its own deadline. No test-runner imports.
import fc from "fast-check";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { ENDPOINT_PATHS } from "../../lib/oauth/config";
import { PROJECT_ROOT } from "./server";

/** Every protocol endpoint, Auth.js route and page (with ids that exist in the demo data and ones that do not). */
export const FUZZ_PATHS = [
  ...Object.values(ENDPOINT_PATHS),
  "/",
  "/login",
  "/logout",
  "/consent",
  "/account",
  "/dashboard",
  "/dashboard/audit",
  "/dashboard/clients",
  "/dashboard/clients/new",
  "/dashboard/clients/postman",
  "/dashboard/clients/postman/grants",
  "/dashboard/clients/%ZZ",
  "/dashboard/keys",
  "/dashboard/scopes",
  "/dashboard/scopes/new",
  "/dashboard/scopes/api",
  "/dashboard/users",
  "/dashboard/users/new",
  "/dashboard/users/alice",
  "/dashboard/users/alice/grants",
  "/dashboard/users/%E0%A4%A",
  "/api/auth/session",
  "/api/auth/csrf",
  "/api/auth/signout",
  "/api/auth/signin",
  "/api/auth/callback/credentials",
  "/api/auth/%00",
  "/_next/static/chunks/none.js",
  "/_next/image",
  "/favicon.ico",
  "/no-such-page",
  "/%",
  "/%2e%2e/%2e%2e/etc/passwd",
  "//evil.example/",
];

/** The build's server action ids (what an attacker reads from the pages' scripts). */
export function buildActionIds(): string[] {
  const file = path.join(PROJECT_ROOT, ".next/server/server-reference-manifest.json");
  const manifest = JSON.parse(fs.readFileSync(file, "utf8")) as { node: Record<string, unknown> };
  return Object.keys(manifest.node);
}

export interface FuzzRequest {
  method: string;
  target: string;
  headers: [string, string][];
  body: Buffer | null;
  chunked: boolean;
}

export interface FuzzContext {
  host: string;
  actionIds: string[];
  /** A real session cookie (a signed-in admin), so that guarded actions and pages go deeper than a redirect. */
  sessionCookie: string;
}

// Mostly what handlers really serve, so that most requests get past the method check.
const METHOD = fc.oneof(
  { arbitrary: fc.constantFrom("GET", "POST", "POST"), weight: 8 },
  { arbitrary: fc.constantFrom("HEAD", "OPTIONS", "PUT", "DELETE", "PATCH", "TRACE", "PROPFIND", "CONNECT", "SEARCH", "QUERY"), weight: 2 },
);

const PARAM_NAMES = [
  "client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "code_challenge", "code_challenge_method",
  "prompt", "max_age", "id_token_hint", "login_hint", "interaction", "post_logout_redirect_uri", "response_mode",
  "request", "request_uri", "grant_type", "code", "code_verifier", "refresh_token", "token", "token_type_hint",
  "client_secret", "client_assertion", "client_assertion_type", "access_token", "returnTo", "callbackUrl", "page",
  "grantsPage", "q", "type", "actor", "from", "to", "username", "password", "csrfToken", "$ACTION_ID_x", "__proto__",
  "",
];

/** Text that breaks decoders: bad percent-escapes, invalid UTF-8 escapes, controls, long runs. */
const nastyText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom("%", "%%", "%zz", "%E0%A4%A", "%C3%28", "%ff%fe%fd", "%00", "%0d%0aX-Injected:%201", "%uD800", "+%2B+", "a=b&c", "&&&", "=", "'\"<script>", "../..", "\\u0000", "null", "[]", "{}", "http://evil.example/cb", "S256", "plain", "openid profile email offline_access api"),
  fc.string({ unit: "binary", maxLength: 30 }).map((s) => encodeURIComponent(s)),
  fc.integer({ min: 1, max: 5_000 }).map((n) => "a".repeat(n)),
);

const queryString = fc
  .array(fc.tuple(fc.constantFrom(...PARAM_NAMES), nastyText), { maxLength: 8 })
  .map((pairs) => pairs.map(([name, value]) => `${encodeURIComponent(name)}=${value}`).join("&"));

/** Bytes of a query string as sent (percent-escapes left as generated; raw non-ASCII is escaped for the request line). */
function escapeForRequestLine(text: string): string {
  return text.replace(/[^\x21-\x7e]/g, (ch) => encodeURIComponent(ch));
}

function basic(user: string, pass: string): string {
  return "Basic " + Buffer.from(`${user}:${pass}`).toString("base64");
}

function multipart(boundary: string, parts: [string, string][], close = true): string {
  const lines = parts.map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  return lines.join("") + (close ? `--${boundary}--\r\n` : "");
}

export function fuzzRequests(context: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const actionId = fc.oneof(fc.constantFrom(...context.actionIds), fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), maxLength: 42 }), nastyText);
  const header = fc.oneof(
    fc.constantFrom<[string, string]>(
      ["Authorization", basic("postman", "postman-secret")],
      ["Authorization", basic("postman", "wrong")],
      ["Authorization", basic("%", "%zz")],
      ["Authorization", "Basic"],
      ["Authorization", "Basic %%%%"],
      ["Authorization", "Basic " + Buffer.from([0xff, 0xfe, 0x3a, 0x80]).toString("base64")],
      ["Authorization", "Bearer"],
      ["Authorization", "Bearer a.b.c"],
      ["Authorization", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9."],
      ["Authorization", "DPoP x"],
      ["Cookie", context.sessionCookie],
      ["Cookie", "authjs.session-token=garbage; authjs.csrf-token=%zz"],
      ["Cookie", "authjs.session-token.0=a; authjs.session-token.1=b"],
      ["Cookie", "=; ==; ;;"],
      ["Cookie", `x=${"c".repeat(3000)}`],
      ["Origin", "null"],
      ["Origin", "http://evil.example"],
      ["Origin", "not a url"],
      ["Origin", `http://${context.host}`],
      ["Sec-Fetch-Site", "same-origin"],
      ["Sec-Fetch-Site", "cross-site"],
      ["RSC", "1"],
      ["Next-Router-State-Tree", "%7B%22bogus%22"],
      ["Next-Router-State-Tree", "[\"\",{\"children\":[\"__PAGE__\",{}]},null,null,true]"],
      ["Next-Router-Prefetch", "1"],
      ["Next-Router-Segment-Prefetch", "/_tree"],
      ["Next-Url", "/%zz"],
      ["Accept", "text/x-component"],
      ["Accept", "*/*;q=bogus"],
      ["Accept-Encoding", "gzip, br, zstd"],
      ["X-Forwarded-For", "not-an-ip, 999.1.1.1"],
      ["X-Forwarded-Host", "evil.example"],
      ["X-Forwarded-Proto", "gopher"],
      ["Content-Encoding", "gzip"],
      ["Range", "bytes=5-1"],
      ["If-None-Match", "*"],
      ["Expect", "100-continue"],
    ),
    actionId.map((id): [string, string] => ["Next-Action", id]),
    nastyText.map((value): [string, string] => ["X-Fuzz", value.replace(/[\r\n]/g, "")]),
  );
  const contentType = fc.constantFrom(
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=iso-8859-1",
    "application/json",
    "text/plain;charset=UTF-8",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "multipart/form-data; boundary=fuzz",
    "multipart/form-data; boundary=\"unterminated",
    "Multipart/Form-Data; boundary=fuzz",
    "application/octet-stream",
    "text/html",
    ";;;",
  );
  const body = fc.oneof(
    queryString.map((q) => Buffer.from(q, "latin1")),
    fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes)),
    fc.constant(Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0xbc])),
    fc.tuple(actionId, nastyText, fc.boolean()).map(([id, value, close]) =>
      Buffer.from(multipart("fuzz", [[`$ACTION_ID_${id}`, ""], ["username", value], ["password", value]], close), "latin1"),
    ),
    fc.tuple(nastyText, fc.boolean()).map(([value, close]) => Buffer.from(multipart("fuzz", [["1_$ACTION_REF_1", ""], ["1_$ACTION_KEY", value], ["0", value]], close), "latin1")),
    fc.constantFrom("[]", "[{}]", '["$@1"]', '["$K1"]', '"$Q0"', "{", "null", '[null,{"username":"a"}]', '["$T"]', '["$h0"]'),
    fc.integer({ min: 1, max: 3 }).map((mib) => Buffer.alloc(mib * 1024 * 1024 - 7, 0x61)),
  );
  const anything = fc
    .record({
      method: METHOD,
      path: fc.constantFrom(...FUZZ_PATHS),
      query: fc.option(queryString, { nil: undefined }),
      headers: fc.array(header, { maxLength: 5 }),
      contentType: fc.option(contentType, { nil: undefined }),
      body: fc.option(body, { nil: undefined, freq: 3 }),
      chunked: fc.boolean(),
    })
    .map(({ method, path: p, query, headers, contentType: type, body: payload, chunked }) => ({
      method,
      target: p + (query === undefined ? "" : `?${escapeForRequestLine(query)}`),
      headers: [...(type === undefined ? [] : [["Content-Type", type] as [string, string]]), ...headers],
      body: typeof payload === "string" ? Buffer.from(payload) : (payload ?? null),
      chunked,
    }));
  // Well-formed calls of the real server actions with arguments of any shape (what a script replaying
  // a page's requests would send): JSON or multipart, same origin, with the admin's session or not.
  const jsonArguments = fc.oneof(
    fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 3 }).map((args) => JSON.stringify(args)),
    fc.constantFrom('[{"status":"idle"},"$K1"]', '["$K1"]', '[{},"$K9"]', '["$D2026-13-45"]', '["$n1","$undefined","$$x"]'),
  );
  const actionCall = fc
    .record({
      path: fc.constantFrom(...FUZZ_PATHS.filter((p) => !p.startsWith("/connect") && !p.startsWith("/.well-known"))),
      id: fc.constantFrom(...context.actionIds),
      args: jsonArguments,
      field: nastyText,
      multipart: fc.boolean(),
      signedIn: fc.boolean(),
      chunked: fc.boolean(),
    })
    .map(({ path: p, id, args, field, multipart: asForm, signedIn, chunked }): FuzzRequest => {
      const headers: [string, string][] = [
        ["Next-Action", id],
        ["Origin", `http://${context.host}`],
        ["Accept", "text/x-component"],
        ...(signedIn ? [["Cookie", context.sessionCookie] as [string, string]] : []),
      ];
      if (asForm) {
        headers.push(["Content-Type", "multipart/form-data; boundary=fuzz"]);
        const body = multipart("fuzz", [["0", args], ["1_username", field], ["1_password", field], ["1_interaction", field], ["1_decision", "allow"]]);
        return { method: "POST", target: p, headers, body: Buffer.from(body, "utf8"), chunked };
      }
      headers.push(["Content-Type", "text/plain;charset=UTF-8"]);
      return { method: "POST", target: p, headers, body: Buffer.from(args, "utf8"), chunked };
    });
  return fc.oneof({ arbitrary: anything, weight: 4 }, { arbitrary: actionCall, weight: 1 });
}

/** The request's bytes on the wire: HTTP/1.1, one request per connection, Content-Length or chunked. */
export function serialize(request: FuzzRequest, host: string): Buffer {
  const lines = [`${request.method} ${request.target} HTTP/1.1`, `Host: ${host}`, "Connection: close"];
  for (const [name, value] of request.headers) lines.push(`${name}: ${value}`);
  let body: Buffer = Buffer.alloc(0);
  if (request.body) {
    if (request.chunked) {
      lines.push("Transfer-Encoding: chunked");
      const pieces: Buffer[] = [];
      for (let at = 0; at < request.body.length; at += 997) {
        const piece = request.body.subarray(at, at + 997);
        pieces.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from("\r\n"));
      }
      pieces.push(Buffer.from("0\r\n\r\n"));
      body = Buffer.concat(pieces);
    } else {
      lines.push(`Content-Length: ${request.body.length}`);
      body = request.body;
    }
  }
  return Buffer.concat([Buffer.from(lines.join("\r\n") + "\r\n\r\n", "latin1"), body]);
}

export type FuzzOutcome = { status: number } | { status: "closed" } | { status: "timeout" };

/** Sends one raw request and reads the status line of the answer (or how the connection ended). */
export function send(port: number, bytes: Buffer, timeoutMs: number): Promise<FuzzOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let received = "";
    let done = false;
    const finish = (outcome: FuzzOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ status: "timeout" }), timeoutMs);
    // Not end(): node:http aborts a request whose client half-closes (httpAllowHalfOpen is off), as a browser never does.
    socket.on("connect", () => socket.write(bytes));
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      // Skip interim answers (100 Continue for an Expect header).
      for (const match of received.matchAll(/(?:^|\r\n\r\n)HTTP\/1\.[01] (\d{3})/g)) {
        const status = Number(match[1]);
        if (status >= 200) return finish({ status });
      }
      if (received.length > 65_536) received = received.slice(-1024);
    });
    // A reset after the status line counts as answered; before it, as closed.
    socket.on("error", () => finish({ status: "closed" }));
    socket.on("close", () => finish({ status: "closed" }));
  });
}

export function describeRequest(request: FuzzRequest): string {
  const body = request.body ? `${request.body.length} bytes${request.chunked ? " chunked" : ""}: ${JSON.stringify(request.body.subarray(0, 120).toString("latin1"))}` : "no body";
  return `${request.method} ${request.target.slice(0, 300)}\n  ${request.headers.map(([n, v]) => `${n}: ${v.slice(0, 120)}`).join("\n  ")}\n  ${body}`;
}
