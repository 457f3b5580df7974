// `npm run bench -- --reference`: Gatehouse next to the reference, node-oidc-provider (the pinned
// devDependency, configured like the demo seed in scripts/bench/reference-server.mjs), under
// the same requests, interleaved round by round; prints both figures and their ratio.
//
//   npm run bench -- --reference [--duration 5] [--warmup 2] [--prime 3] [--rounds 3] [--connections 16]
//                    [--only discovery,jwks,cc_token,introspect,userinfo,code_flow,refresh]
//                    [--es256] [--postgres [--postgres-url URL]] [--json FILE]
//
// Method (docs/benchmarks.md, "Against the reference"):
// - Both servers run at once on loopback, each in its own process: Gatehouse from dist/server.js
//   (built when needed) on the embedded PGlite in a temp directory, or with --postgres on a
//   throwaway PostgreSQL database seeded with the demo data; the reference in memory.
// - Per scenario: set up both (sign-ins, tokens), check one unit of each in full (JWT signatures
//   against the JWKS), then `--rounds` rounds; each round measures Gatehouse and the reference
//   one after the other (the order flips every round, so slow drifts of a shared machine hit
//   both alike), each run `--warmup` s unmeasured and `--duration` s measured. Before the first
//   round each server gets one unmeasured `--prime` s run of the scenario (a cold process is slow).
// - Closed loop: `--connections` workers, each on its own keep-alive connection, run their unit
//   back to back; units that complete inside the measured window count. Every response is
//   checked (status, and the fields that make it what was asked for); a unit that fails counts
//   as an error, never as throughput, and any error makes the run exit 1.
// - CPU per unit: CPU time of the server process (and its children) plus, on PostgreSQL, of the
//   backends connected to the throwaway database (read from /proc/<pid>/stat at the window's
//   edges), divided by the units. PGlite runs inside the server process, so it is in "server".
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs as parseCommandLine } from "node:util";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import pg from "pg";
import { createSeededPostgres, fmt, freePort, onCleanup, postgresAvailable, rememberConsent, runCleanups, signInAlice, startServer } from "../bench.mjs";
import { ensureBuilt } from "../ensure-build.mjs";
import { Connection, UnitError, json, measure, summarize } from "./engine.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SCENARIOS = ["discovery", "jwks", "cc_token", "introspect", "userinfo", "code_flow", "refresh"];

const USAGE = `Usage: npm run bench -- --reference [options]
  --duration N       measured seconds per run (default 5)
  --warmup N         unmeasured seconds before each run (default 2; 0 to skip)
  --prime N          one unmeasured run of N seconds per server before a scenario's first round
                     (default 3; 0 to skip)
  --rounds N         runs per server and scenario, interleaved (default 3)
  --connections N    concurrent keep-alive connections (default 16)
  --only LIST        these scenarios (comma-separated): ${SCENARIOS.join(", ")}
  --es256            ES256 access tokens on both sides (GATEHOUSE_ACCESS_TOKEN_ALG=ES256);
                     ID tokens stay RS256
  --postgres         Gatehouse on a throwaway PostgreSQL database instead of the embedded PGlite
  --postgres-url URL admin connection for creating it (default $BENCH_POSTGRES_URL or
                     postgres://postgres@127.0.0.1:5432/postgres)
  --json FILE        also write the results as JSON`;

function parseArgs(argv) {
  const { values } = parseCommandLine({
    args: argv,
    strict: true,
    options: {
      duration: { type: "string", default: "5" },
      warmup: { type: "string", default: "2" },
      prime: { type: "string", default: "3" },
      rounds: { type: "string", default: "3" },
      connections: { type: "string", default: "16" },
      only: { type: "string" },
      es256: { type: "boolean", default: false },
      postgres: { type: "boolean", default: false },
      "postgres-url": { type: "string", default: process.env.BENCH_POSTGRES_URL || "postgres://postgres@127.0.0.1:5432/postgres" },
      json: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const integer = (name, min, max) => {
    const parsed = Number(values[name]);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) throw new Error(`--${name} must be an integer from ${min} to ${max}; got "${values[name]}".`);
    return parsed;
  };
  let only = SCENARIOS;
  if (values.only !== undefined) {
    const keys = values.only.split(",").map((key) => key.trim()).filter(Boolean);
    const unknown = keys.filter((key) => !SCENARIOS.includes(key));
    if (keys.length === 0 || unknown.length) throw new Error(`--only takes scenarios from: ${SCENARIOS.join(", ")}${unknown.length ? `; unknown: ${unknown.join(", ")}` : ""}`);
    only = SCENARIOS.filter((key) => keys.includes(key));
  }
  return {
    duration: integer("duration", 1, 600),
    warmup: integer("warmup", 0, 60),
    prime: integer("prime", 0, 60),
    rounds: integer("rounds", 1, 50),
    connections: integer("connections", 1, 256),
    only,
    accessTokenAlg: values.es256 ? "ES256" : "RS256",
    postgres: values.postgres,
    postgresUrl: values["postgres-url"],
    json: values.json === undefined ? null : path.resolve(values.json),
  };
}

/** Cookies of one browser session: name, value and path (the reference scopes its interaction cookies by path). */
class CookieJar {
  #cookies = new Map();

  store(setCookie) {
    for (const line of setCookie ?? []) {
      const [pair, ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let cookiePath = "/";
      let expired = value === "";
      for (const attribute of attributes) {
        const [key, ...rest] = attribute.split("=");
        const attributeValue = rest.join("=").trim();
        const lower = key.trim().toLowerCase();
        if (lower === "path" && attributeValue.startsWith("/")) cookiePath = attributeValue;
        if (lower === "max-age" && Number(attributeValue) <= 0) expired = true;
        if (lower === "expires" && Date.parse(attributeValue) <= Date.now()) expired = true;
      }
      const key = `${name}\t${cookiePath}`;
      if (expired) this.#cookies.delete(key);
      else this.#cookies.set(key, { name, value, path: cookiePath });
    }
  }

  header(pathname) {
    const matching = [...this.#cookies.values()].filter((c) => pathname === c.path || pathname.startsWith(c.path.endsWith("/") ? c.path : `${c.path}/`));
    return matching.map((c) => `${c.name}=${c.value}`).join("; ");
  }
}

/** A request with the session's cookies, storing what the answer sets. */
async function browse(conn, jar, url, init = {}) {
  const target = new URL(url);
  const cookie = jar.header(target.pathname);
  const response = await conn.request(target, { ...init, headers: { ...init.headers, ...(cookie ? { cookie } : {}) } });
  jar.store(response.headers["set-cookie"]);
  return response;
}

// ------------------------------------------------------------------ OAuth ---

const FORM = "application/x-www-form-urlencoded";
const CLIENTS = {
  postman: { id: "postman", secret: "postman-secret", redirectUri: "https://oauth.pstmn.io/v1/callback" },
  spa: { id: "spa", redirectUri: "http://localhost:5173/callback" },
};
/** The code flow's scope: a user's sign-in with claims and a refresh token (no resource: userinfo accepts its access token). */
const FLOW_SCOPE = "openid profile email offline_access";

function clientAuth(client) {
  if (client.secret) return { headers: { authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString("base64")}` }, body: "" };
  return { headers: {}, body: `&client_id=${client.id}` };
}

function pkcePair() {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

function authorizationUrl(side, client, { state, nonce, challenge }) {
  const url = new URL(side.meta.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: client.id,
    redirect_uri: client.redirectUri,
    scope: FLOW_SCOPE,
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: "S256",
  }).toString();
  return url;
}

/** Cheap structural checks of a JWT (its signature is verified once per scenario, in the preflight). */
function checkJwt(step, token, side, { audience, nonce } = {}) {
  let payload;
  try {
    payload = decodeJwt(token);
  } catch {
    throw new UnitError(`${step}:not a JWT`);
  }
  if (payload.iss !== side.issuer) throw new UnitError(`${step}:iss`, String(payload.iss));
  if (!(payload.exp > Date.now() / 1000)) throw new UnitError(`${step}:expired`);
  if (audience && !(Array.isArray(payload.aud) ? payload.aud : [payload.aud]).includes(audience)) throw new UnitError(`${step}:aud`, String(payload.aud));
  if (nonce !== undefined && payload.nonce !== nonce) throw new UnitError(`${step}:nonce`);
  return payload;
}

function checkAccessToken(step, token, side) {
  if (typeof token !== "string" || token.length < 16) throw new UnitError(`${step}:no access_token`);
  if (token.split(".").length === 3) checkJwt(`${step} access_token`, token, side);
}

/** Full verification against the side's JWKS: signature, issuer, and the expected algorithm. */
async function verifyJwt(conn, side, token, { alg, audience }) {
  const jwks = json("jwks", await conn.request(side.meta.jwks_uri));
  const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: side.issuer, audience, algorithms: [alg] });
  return { payload, header: protectedHeader };
}

/** A signed-in authorization request: straight back to the redirect URI with a code (no page in between). */
async function authorize(conn, jar, side, client) {
  const pkce = pkcePair();
  const state = randomBytes(12).toString("base64url");
  const nonce = randomBytes(12).toString("base64url");
  const response = await browse(conn, jar, authorizationUrl(side, client, { state, nonce, challenge: pkce.challenge }));
  const location = response.headers.location;
  if ((response.status !== 302 && response.status !== 303) || !location) throw new UnitError(`authorize:${response.status}`);
  if (!location.startsWith(client.redirectUri)) throw new UnitError("authorize:interaction_required", location.slice(0, 100));
  const query = new URL(location).searchParams;
  if (query.get("error")) throw new UnitError(`authorize:${query.get("error")}`, query.get("error_description") ?? "");
  if (query.get("state") !== state) throw new UnitError("authorize:state");
  if (query.has("iss") && query.get("iss") !== side.issuer) throw new UnitError("authorize:iss");
  const code = query.get("code");
  if (!code) throw new UnitError("authorize:no code");
  return { code, verifier: pkce.verifier, nonce };
}

/** Token response of a code flow or refresh: Bearer, an access token, an ID token for this client, a refresh token. */
function checkTokenResponse(step, body, side, client, { nonce, idTokenRequired }) {
  if (typeof body.token_type !== "string" || body.token_type.toLowerCase() !== "bearer") throw new UnitError(`${step}:token_type`, String(body.token_type));
  checkAccessToken(step, body.access_token, side);
  if (idTokenRequired && typeof body.id_token !== "string") throw new UnitError(`${step}:no id_token`);
  if (body.id_token !== undefined) checkJwt(`${step} id_token`, body.id_token, side, { audience: client.id, nonce });
  if (typeof body.refresh_token !== "string") throw new UnitError(`${step}:no refresh_token`);
}

async function redeem(conn, side, client, { code, verifier, nonce }) {
  const auth = clientAuth(client);
  const response = await conn.request(side.meta.token_endpoint, {
    method: "POST",
    headers: { ...auth.headers, "content-type": FORM, accept: "application/json" },
    body: `grant_type=authorization_code&code=${encodeURIComponent(code)}&redirect_uri=${encodeURIComponent(client.redirectUri)}&code_verifier=${verifier}${auth.body}`,
  });
  const body = json("token", response);
  checkTokenResponse("token", body, side, client, { nonce, idTokenRequired: true });
  return body;
}

async function userinfo(conn, side, accessToken, sub) {
  const body = json("userinfo", await conn.request(side.meta.userinfo_endpoint, { headers: { authorization: `Bearer ${accessToken}`, accept: "application/json" } }));
  if (body.sub !== sub) throw new UnitError("userinfo:sub", String(body.sub));
  return body;
}

/** authorize → token → userinfo, with fresh PKCE, state and nonce. */
async function codeFlow(conn, jar, side, client, { withUserinfo }) {
  const tokens = await redeem(conn, side, client, await authorize(conn, jar, side, client));
  if (withUserinfo) await userinfo(conn, side, tokens.access_token, decodeJwt(tokens.id_token).sub);
  return tokens;
}

async function refresh(conn, side, client, refreshToken) {
  const auth = clientAuth(client);
  const response = await conn.request(side.meta.token_endpoint, {
    method: "POST",
    headers: { ...auth.headers, "content-type": FORM, accept: "application/json" },
    body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(refreshToken)}${auth.body}`,
  });
  const body = json("refresh", response);
  checkTokenResponse("refresh", body, side, client, { idTokenRequired: false });
  if (body.refresh_token === refreshToken) throw new UnitError("refresh:not rotated");
  return body;
}

// ------------------------------------------------------------------ sides ---

/**
 * Sign-in on the reference's own pages (scripts/bench/reference-server.mjs): follow the
 * authorization request through login and consent until it comes back to the client.
 */
async function referenceSession(side, client) {
  const conn = new Connection();
  const jar = new CookieJar();
  try {
    const pkce = pkcePair();
    let url = authorizationUrl(side, client, { state: "setup", nonce: "setup", challenge: pkce.challenge });
    let init = {};
    for (let hop = 0; hop < 12; hop++) {
      const response = await browse(conn, jar, url, init);
      const location = response.headers.location;
      if (location) {
        if (location.startsWith(client.redirectUri)) return jar;
        url = new URL(location, url);
        init = {};
        continue;
      }
      const action = /<form method="post" action="([^"]+\/(login|confirm))"/.exec(response.text);
      if (response.status !== 200 || !action) throw new Error(`reference sign-in: unexpected ${response.status} at ${url}: ${response.text.slice(0, 200)}`);
      url = new URL(action[1], url);
      const form = action[2] === "login" ? "username=alice&password=alice-password" : "decision=allow";
      init = { method: "POST", headers: { "content-type": FORM }, body: form };
    }
    throw new Error("reference sign-in: too many redirects");
  } finally {
    conn.close();
  }
}

/** Gatehouse's sign-in page (scripts/bench.mjs signInAlice), and consent to the spa once per database. */
async function gatehouseSession(side, client) {
  if (client !== CLIENTS.spa) throw new Error("the Gatehouse side signs in for the spa client only");
  const cookie = await signInAlice(side.origin);
  if (!side.consented) {
    await rememberConsent(side.origin, cookie, FLOW_SCOPE);
    side.consented = true;
  }
  const jar = new CookieJar();
  jar.store(cookie.split("; ").map((pair) => `${pair}; Path=/`));
  return jar;
}

/** Signed-in sessions, each proven to authorize silently. */
async function sessions(side, client, count) {
  const jars = [];
  for (let i = 0; i < count; i++) {
    const jar = await side.newSession(client);
    const conn = new Connection();
    try {
      await authorize(conn, jar, side, client);
    } finally {
      conn.close();
    }
    jars.push(jar);
  }
  return jars;
}

async function clientCredentialsToken(conn, side) {
  const auth = clientAuth(CLIENTS.postman);
  const body = json(
    "token",
    await conn.request(side.meta.token_endpoint, { method: "POST", headers: { ...auth.headers, "content-type": FORM, accept: "application/json" }, body: "grant_type=client_credentials&scope=api" }),
  );
  if (typeof body.token_type !== "string" || body.token_type.toLowerCase() !== "bearer") throw new UnitError("token:token_type", String(body.token_type));
  return body;
}

// -------------------------------------------------------------- scenarios ---

/** A GET whose JSON answer `check` accepts. */
function getJson(step, urlOf, check) {
  return {
    unit: "req",
    setup: async (side) => ({ url: urlOf(side) }),
    async preflight(side, state) {
      const conn = new Connection();
      try {
        await this.worker(side, state, 0, conn)();
      } finally {
        conn.close();
      }
      return null; // nothing beyond the per-unit checks to report
    },
    worker: (side, state, _i, conn) => async () => check(json(step, await conn.request(state.url, { headers: { accept: "application/json" } })), side),
  };
}

/**
 * Each scenario: `setup(side, options)` (unmeasured; returns state), `preflight(side, state)`
 * (one unit with full checks; returns what it found, for the notes), `worker(side, state, i, conn)`
 * → one unit (throws a UnitError when the answer is wrong), optional `recover(side, state, i)`.
 */
const SCENARIO_SPECS = {
  discovery: {
    label: "discovery",
    ...getJson("discovery", (side) => `${side.origin}/.well-known/openid-configuration`, (body, side) => {
      if (body.issuer !== side.issuer || typeof body.token_endpoint !== "string") throw new UnitError("discovery:content");
    }),
  },
  jwks: {
    label: "jwks",
    ...getJson("jwks", (side) => side.meta.jwks_uri, (body) => {
      if (!Array.isArray(body.keys) || body.keys.length === 0) throw new UnitError("jwks:no keys");
      if (body.keys.some((key) => key.d !== undefined || key.p !== undefined)) throw new UnitError("jwks:private key");
    }),
  },
  cc_token: {
    label: "client_credentials",
    unit: "req",
    setup: async () => ({}),
    async preflight(side, _state, options) {
      const conn = new Connection();
      try {
        const token = (await clientCredentialsToken(conn, side)).access_token;
        const { header, payload } = await verifyJwt(conn, side, token, { alg: options.accessTokenAlg });
        if (header.typ !== "at+jwt" || payload.client_id !== "postman" || payload.scope !== "api") throw new Error(`unexpected access token ${JSON.stringify({ header, payload })}`);
        return `${header.alg} at+jwt, aud ${payload.aud}, signature verified`;
      } finally {
        conn.close();
      }
    },
    worker: (side, _state, _i, conn) => async () => checkAccessToken("token", (await clientCredentialsToken(conn, side)).access_token, side),
  },
  introspect: {
    label: "introspection",
    unit: "req",
    async setup(side) {
      const conn = new Connection();
      try {
        // Gatehouse introspects its JWT access tokens; oidc-provider refuses JWT access tokens
        // (unsupported_token_type), so there the postman client's opaque code-flow token.
        const token = side.isReference
          ? (await codeFlow(conn, (await sessions(side, CLIENTS.postman, 1))[0], side, CLIENTS.postman, { withUserinfo: false })).access_token
          : (await clientCredentialsToken(conn, side)).access_token;
        return { token, format: token.split(".").length === 3 ? "JWT from client_credentials" : "opaque, from a code flow" };
      } finally {
        conn.close();
      }
    },
    async preflight(side, state) {
      const conn = new Connection();
      try {
        await this.worker(side, state, 0, conn)();
        // A server that calls anything active would score well: make sure it does not.
        const bogus = await introspection(conn, side, `not-a-token-${Date.now()}`);
        if (bogus.active !== false) throw new Error(`a made-up token introspected as ${JSON.stringify(bogus)}`);
        return `postman's own token, ${state.format}; a made-up token is inactive`;
      } finally {
        conn.close();
      }
    },
    worker: (side, state, _i, conn) => async () => {
      if ((await introspection(conn, side, state.token)).active !== true) throw new UnitError("introspect:inactive");
    },
  },
  userinfo: {
    label: "userinfo",
    unit: "req",
    async setup(side) {
      const conn = new Connection();
      try {
        const [jar] = await sessions(side, CLIENTS.spa, 1);
        const tokens = await codeFlow(conn, jar, side, CLIENTS.spa, { withUserinfo: false });
        return { token: tokens.access_token, sub: decodeJwt(tokens.id_token).sub };
      } finally {
        conn.close();
      }
    },
    async preflight(side, state) {
      const conn = new Connection();
      try {
        const claims = await userinfo(conn, side, state.token, state.sub);
        if (claims.preferred_username !== "alice" || claims.email !== "alice@example.com") throw new Error(`userinfo claims ${JSON.stringify(claims)}`);
        return `GET with the spa's access token (${state.token.split(".").length === 3 ? "JWT" : "opaque"}), scope ${FLOW_SCOPE}`;
      } finally {
        conn.close();
      }
    },
    worker: (side, state, _i, conn) => async () => {
      await userinfo(conn, side, state.token, state.sub);
    },
  },
  code_flow: {
    label: "code flow + userinfo",
    unit: "flow",
    async setup(side, options) {
      // One session per connection: one shared session makes oidc-provider's memory adapter
      // slow down as the grant collects tokens (a quirk unrelated to the protocol work).
      return { jars: await sessions(side, CLIENTS.spa, options.connections) };
    },
    async preflight(side, state) {
      const conn = new Connection();
      try {
        const tokens = await codeFlow(conn, state.jars[0], side, CLIENTS.spa, { withUserinfo: true });
        const { header } = await verifyJwt(conn, side, tokens.id_token, { alg: "RS256", audience: "spa" });
        const access = tokens.access_token.split(".").length === 3 ? `${decodeProtectedHeader(tokens.access_token).alg} JWT` : "opaque";
        return `spa (public, PKCE S256), ${state.jars.length} sessions; ID token ${header.alg} verified, access token ${access}, refresh token`;
      } finally {
        conn.close();
      }
    },
    worker: (side, state, i, conn) => async () => {
      await codeFlow(conn, state.jars[i % state.jars.length], side, CLIENTS.spa, { withUserinfo: true });
    },
  },
  refresh: {
    label: "refresh (rotating)",
    unit: "req",
    async setup(side, options) {
      const jars = await sessions(side, CLIENTS.spa, options.connections);
      const conn = new Connection();
      try {
        const chains = [];
        for (const jar of jars) chains.push((await codeFlow(conn, jar, side, CLIENTS.spa, { withUserinfo: false })).refresh_token);
        return { jars, chains, reseeds: 0 };
      } finally {
        conn.close();
      }
    },
    async preflight(side, state) {
      const conn = new Connection();
      try {
        const body = await refresh(conn, side, CLIENTS.spa, state.chains[0]);
        state.chains[0] = body.refresh_token;
        return `spa, ${state.chains.length} chains, every refresh rotates; ID token on refresh: ${typeof body.id_token === "string" ? "yes" : "no"}`;
      } finally {
        conn.close();
      }
    },
    worker: (side, state, i, conn) => async () => {
      state.chains[i] = (await refresh(conn, side, CLIENTS.spa, state.chains[i])).refresh_token;
    },
    // A failed refresh may leave the chain spent: start a new one, untimed.
    async recover(side, state, i) {
      const conn = new Connection();
      try {
        state.chains[i] = (await codeFlow(conn, state.jars[i % state.jars.length], side, CLIENTS.spa, { withUserinfo: false })).refresh_token;
        state.reseeds++;
      } finally {
        conn.close();
      }
    },
  },
};

async function introspection(conn, side, token) {
  const auth = clientAuth(CLIENTS.postman);
  return json(
    "introspect",
    await conn.request(side.meta.introspection_endpoint, {
      method: "POST",
      headers: { ...auth.headers, "content-type": FORM, accept: "application/json" },
      body: `token=${encodeURIComponent(token)}&token_type_hint=access_token`,
    }),
  );
}

// ----------------------------------------------------------------- servers ---

const READY_TIMEOUT_MS = 30_000;

/** Starts the reference (scripts/bench/reference-server.mjs) on a free port; resolves once it listens. */
async function startReference(accessTokenAlg) {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(HERE, "reference-server.mjs")], {
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", REFERENCE_ACCESS_TOKEN_ALG: accessTokenAlg, NODE_ENV: "production" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout.on("data", (chunk) => (log += chunk));
  child.stderr.on("data", (chunk) => (log += chunk));
  const stop = async () => {
    removeCleanup();
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    await new Promise((resolve) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      child.once("exit", () => resolve(clearTimeout(timer)));
    });
  };
  const removeCleanup = onCleanup(stop);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the reference did not start within ${READY_TIMEOUT_MS / 1000} s:\n${log}`)), READY_TIMEOUT_MS);
    const check = () => {
      if (!log.includes("reference ready:")) return;
      clearTimeout(timer);
      child.stdout.off("data", check);
      resolve();
    };
    child.stdout.on("data", check);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the reference exited during start (${signal ?? `exit ${code}`}):\n${log}`));
    });
  });
  const ready = /reference ready: (oidc-provider \S+)/.exec(log)[1];
  return { pid: child.pid, origin: `http://127.0.0.1:${port}`, version: ready, stop };
}

/** The PIDs of PostgreSQL backends connected to `database` (its server's connection pool). */
function backendLister(adminUrl, database) {
  return async () => {
    const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3_000 });
    await client.connect();
    try {
      const { rows } = await client.query("SELECT pid FROM pg_stat_activity WHERE datname = $1", [database]);
      return rows.map((row) => row.pid);
    } finally {
      await client.end().catch(() => undefined);
    }
  };
}

async function discover(side) {
  const conn = new Connection();
  try {
    side.meta = json("discovery", await conn.request(`${side.origin}/.well-known/openid-configuration`));
    side.issuer = side.meta.issuer;
    for (const key of ["authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint", "introspection_endpoint"]) {
      if (typeof side.meta[key] !== "string") throw new Error(`${side.name}: discovery lacks ${key}`);
    }
  } finally {
    conn.close();
  }
}

// -------------------------------------------------------------------- main ---

function cell(run) {
  return `${fmt(run.perSecond, 0)}`;
}

function markdownTable(results, backend) {
  const lines = [
    `| scenario | unit | Gatehouse (${backend}) | reference | ratio G/R | round ratios | p50 / p99 ms G | p50 / p99 ms R | CPU ms/unit G (server + db) | CPU ms/unit R | CPU ratio R/G | errors G / R | other CPU (cores, max) |`,
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of results) {
    const { gatehouse: g, reference: ref } = r;
    const ratios = r.roundRatios.map((x) => fmt(x, 2)).join(", ");
    lines.push(
      `| ${r.label} | ${r.unit} | ${cell(g)} | ${cell(ref)} | **${fmt(r.ratio, 2)}x** | ${ratios} | ${fmt(g.p50, 1)} / ${fmt(g.p99, 1)} | ${fmt(ref.p50, 1)} / ${fmt(ref.p99, 1)} | ` +
        `${fmt(g.cpuMsPerUnit, 2)} (${fmt(g.serverMsPerUnit, 2)} + ${fmt(g.databaseMsPerUnit, 2)}) | ${fmt(ref.cpuMsPerUnit, 2)} | ${fmt(r.cpuRatio, 2)}x | ${g.errors} / ${ref.errors} | ${fmt(Math.max(g.other, ref.other), 2)} |`,
    );
  }
  return lines.join("\n");
}

function describeRun(name, run) {
  const { cpu } = run;
  return (
    `${name.padEnd(9)} ${fmt(run.perSecond, 0).padStart(7)}/s  p50 ${fmt(run.p50, 1)} ms  p99 ${fmt(run.p99, 1)} ms  ` +
    `CPU server ${fmt(cpu.server, 2)} + db ${fmt(cpu.database, 2)} cores = ${fmt(run.cpuMsPerUnit, 2)} ms/unit  harness ${fmt(cpu.harness, 2)}  other ${fmt(cpu.other, 2)}` +
    `${run.errors ? `  ERRORS ${run.errors} ${JSON.stringify(run.errorKinds)} e.g. ${JSON.stringify(Object.values(run.errorSamples)[0])}` : ""}`
  );
}

export async function main(argv) {
  let options;
  try {
    options = parseArgs(argv);
  } catch (error) {
    console.error(error.message);
    process.exitCode = 2;
    return;
  }
  const command = `npm run bench -- --reference${argv.length ? ` ${argv.join(" ")}` : ""}`;
  const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model?.trim() ?? "unknown CPU"}), Node ${process.version}, ${os.type()} ${os.release()}`;
  console.log(`$ ${command}`);
  console.log(`Gatehouse against the reference (node-oidc-provider): ${machine}`);
  console.log(
    `Settings: ${options.connections} connections, ${options.prime} s priming run, then ${options.rounds} round(s) of ${options.warmup} s warm-up + ${options.duration} s measured per server and scenario, ` +
      `interleaved; access tokens ${options.accessTokenAlg}; load generator in this process (shares the cores with both servers)`,
  );
  ensureBuilt();

  const results = [];
  const notes = [];
  let failure = null;
  let backend = "PGlite";
  let reference;
  try {
    const gatehouseEnv = options.accessTokenAlg === "ES256" ? { GATEHOUSE_ACCESS_TOKEN_ALG: "ES256" } : {};
    let gatehouseSetup;
    let databasePids = async () => [];
    if (options.postgres) {
      const available = await postgresAvailable(options.postgresUrl);
      if (!available.ok) throw new Error(`PostgreSQL at ${new URL(options.postgresUrl).host} does not answer (${available.reason})`);
      backend = `PostgreSQL ${available.version}`;
      const seeded = await createSeededPostgres(options.postgresUrl);
      gatehouseSetup = { dataDir: seeded.dataDir, env: { ...seeded.env, ...gatehouseEnv } };
      databasePids = backendLister(options.postgresUrl, seeded.url.pathname.slice(1));
    } else {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-bench-reference-"));
      onCleanup(() => fs.rmSync(dataDir, { recursive: true, force: true }));
      gatehouseSetup = { dataDir, env: gatehouseEnv };
    }
    const [server, started] = await Promise.all([startServer({ label: "Gatehouse", ...gatehouseSetup }), startReference(options.accessTokenAlg)]);
    reference = started;
    const gatehouse = { name: "Gatehouse", isReference: false, origin: server.origin, pid: server.child.pid, databasePids, newSession: null };
    gatehouse.newSession = (client) => gatehouseSession(gatehouse, client);
    const ref = { name: "reference", isReference: true, origin: reference.origin, pid: reference.pid, databasePids: async () => [], newSession: null };
    ref.newSession = (client) => referenceSession(ref, client);
    await Promise.all([discover(gatehouse), discover(ref)]);
    console.log(`Gatehouse ${gatehouse.origin} (pid ${gatehouse.pid}, ${backend}); reference ${reference.version} ${ref.origin} (pid ${ref.pid}, in memory)`);
    notes.push(`Gatehouse on ${backend}; reference ${reference.version} (in-memory adapter), both started fresh for this run.`);

    const sides = { gatehouse, reference: ref };
    for (const key of options.only) {
      const spec = SCENARIO_SPECS[key];
      console.log(`\n${spec.label} (${key})`);
      const states = {};
      for (const [name, side] of Object.entries(sides)) {
        states[name] = await spec.setup(side, options);
        // One unit checked in full before any load (a server that fails it is not measured).
        const found = await spec.preflight.call(spec, side, states[name], options);
        if (found) {
          console.log(`  ${side.name}: ${found}`);
          notes.push(`${spec.label}, ${side.name}: ${found}`);
        }
      }
      const primeErrors = { gatehouse: 0, reference: 0 };
      for (const [name, side] of Object.entries(sides)) {
        if (options.prime === 0) continue;
        const prime = await measure(side, spec, states[name], { ...options, warmup: 0, duration: options.prime });
        primeErrors[name] = prime.errors;
        if (prime.errors) console.log(`  priming ${describeRun(side.name, prime)}`);
      }
      const runs = [];
      for (let round = 0; round < options.rounds; round++) {
        const order = round % 2 === 0 ? ["gatehouse", "reference"] : ["reference", "gatehouse"];
        const runsOfRound = {};
        for (const name of order) {
          runsOfRound[name] = await measure(sides[name], spec, states[name], options);
          console.log(`  round ${round + 1} ${describeRun(sides[name].name, runsOfRound[name])}`);
        }
        runs.push(runsOfRound);
      }
      if (states.gatehouse.reseeds || states.reference.reseeds) notes.push(`${spec.label}: refresh chains re-seeded after a failure: Gatehouse ${states.gatehouse.reseeds}, reference ${states.reference.reseeds}`);
      const result = summarize(key, spec, runs);
      if (key === "cc_token") result.label = `${spec.label} (${options.accessTokenAlg})`;
      result.gatehouse.errors += primeErrors.gatehouse;
      result.reference.errors += primeErrors.reference;
      results.push(result);
      console.log(
        `  => ${spec.label}: Gatehouse ${fmt(result.gatehouse.perSecond, 0)} ${result.unit}, reference ${fmt(result.reference.perSecond, 0)} ${result.unit}, ` +
          `ratio Gatehouse/reference ${fmt(result.ratio, 2)}x (rounds ${result.roundRatios.map((x) => fmt(x, 2)).join(", ")}); ` +
          `CPU ms/unit ${fmt(result.gatehouse.cpuMsPerUnit, 2)} vs ${fmt(result.reference.cpuMsPerUnit, 2)} (CPU ratio ${fmt(result.cpuRatio, 2)}x)`,
      );
    }
  } catch (error) {
    failure = error;
  } finally {
    await runCleanups();
  }

  if (results.length) {
    console.log(`\n## Gatehouse against the reference\n\nCommand: \`${command}\`  `);
    console.log(`Date: ${new Date().toISOString()}; machine: ${machine}.  `);
    console.log(
      `Medians of ${options.rounds} interleaved round(s), ${options.connections} connections, ${options.duration} s measured after ${options.warmup} s warm-up per run. ` +
        `Ratio = Gatehouse ÷ reference (above 1: Gatehouse serves more). CPU ms/unit = CPU time of the server process` +
        `${options.postgres ? " plus its PostgreSQL backends" : " (PGlite runs inside it)"} per completed unit. ` +
        `CPU ratio = reference's CPU per unit ÷ Gatehouse's: the throughput ratio the two would show if each had the machine to itself ` +
        `and were CPU-bound; steadier than the throughput ratio on a shared machine. ` +
        `Other CPU = the machine's busy cores minus the measured server, its database and this process (the highest of the scenario's runs): ` +
        `above ~0.25, other work was competing for the two cores and the figures are disturbed.\n`,
    );
    console.log(markdownTable(results, backend.split(" ")[0]));
    console.log(`\n${notes.map((note) => `- ${note}`).join("\n")}`);
    const busy = results.filter((r) => r.gatehouse.other > 0.25 || r.reference.other > 0.25);
    if (busy.length) console.log(`\nWarning: other processes used over a quarter of a core during ${busy.map((r) => r.scenario).join(", ")}; those figures are disturbed.`);
  }
  if (options.json) {
    fs.writeFileSync(options.json, `${JSON.stringify({ command, date: new Date().toISOString(), machine, options, backend, referenceVersion: reference?.version, results, notes, failure: failure ? String(failure.message ?? failure) : null }, null, 2)}\n`);
  }
  const failed = results.filter((r) => r.gatehouse.errors || r.reference.errors || !r.gatehouse.units || !r.reference.units);
  if (failure) {
    console.error(`\nBenchmark failed: ${failure instanceof Error ? (failure.stack ?? failure.message) : failure}`);
    process.exitCode = 1;
  }
  if (failed.length) {
    console.error(`\nFAILED: ${failed.map((r) => `${r.scenario} (errors Gatehouse ${r.gatehouse.errors}, reference ${r.reference.errors}; units ${r.gatehouse.units} / ${r.reference.units})`).join("; ")}`);
    process.exitCode = 1;
  }
}
