// Counts the SQL statements each protocol step sends to PostgreSQL, from the server log
// (docs/benchmarks.md, "Round trips per request"). It makes a throwaway database, seeds it,
// sets log_statement = 'all' on that database only, starts dist/server.js, warms it up with
// one pass of every step, then runs each step once more, sequentially, and counts the log
// lines of that database ("statement:" and "execute" entries) written during the step.
// Needs read access to the PostgreSQL log (default /var/log/postgresql/postgresql-15-main.log,
// whose line prefix must show user@database) and a superuser at the admin URL.
//
//   node scripts/count-statements.mjs [--server-root DIR] [--port N] [--admin-url URL] [--log FILE] [--prefix NAME]
import { execFile, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { rememberConsent, signInAlice } from "./bench.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const args = Object.fromEntries(argv.flatMap((value, index) => (value.startsWith("--") ? [[value.slice(2), argv[index + 1]]] : [])));
const serverRoot = path.resolve(args["server-root"] ?? root);
const adminUrl = args["admin-url"] ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const logFile = args.log ?? "/var/log/postgresql/postgresql-15-main.log";
const port = Number(args.port ?? 0);
const database = `${args.prefix ?? "gatehouse_statements"}_${randomBytes(4).toString("hex")}`;
const SPA = { clientId: "spa", redirectUri: "http://localhost:5173/callback" };
const POSTMAN_BASIC = `Basic ${Buffer.from("postman:postman-secret").toString("base64")}`;
/** How long after a step's answer its asynchronous writes (audit rows) may still reach the log. */
const SETTLE_MS = 400;

async function admin(sql) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

const databaseUrl = (() => {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.href;
})();

function pkcePair() {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

/** The log lines of our database written while `step` ran (and SETTLE_MS after). */
async function statementsOf(step) {
  const start = fs.statSync(logFile).size;
  const result = await step();
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const end = fs.statSync(logFile).size;
  const buffer = Buffer.alloc(end - start);
  const handle = fs.openSync(logFile, "r");
  fs.readSync(handle, buffer, 0, buffer.length, start);
  fs.closeSync(handle);
  const lines = buffer
    .toString("utf8")
    .split("\n")
    .filter((line) => line.includes(`@${database} `) && /LOG: {2}(statement|execute)/.test(line));
  return { result, lines };
}

async function main() {
  await admin(`CREATE DATABASE "${database}"`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-statements-"));
  const env = {
    ...process.env,
    NODE_ENV: "production",
    DATABASE_URL: databaseUrl,
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_SECRET: randomBytes(32).toString("base64url"),
    GATEHOUSE_ADMIN_PASSWORD: randomBytes(18).toString("base64url"),
  };
  let server = null;
  try {
    await promisify(execFile)(process.execPath, [path.join(serverRoot, "dist/cli.js"), "seed-demo"], { cwd: serverRoot, env });
    await admin(`ALTER DATABASE "${database}" SET log_statement = 'all'`);
    const listenPort = port || 3400 + Math.floor(Math.random() * 50);
    const origin = `http://127.0.0.1:${listenPort}`;
    server = spawn(process.execPath, [path.join(serverRoot, "dist/server.js")], {
      cwd: serverRoot,
      env: { ...env, PORT: String(listenPort), HOST: "127.0.0.1", GATEHOUSE_ISSUER: origin },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    server.stdout.on("data", (chunk) => (output += chunk));
    server.stderr.on("data", (chunk) => (output += chunk));
    for (let waited = 0; !output.includes("Gatehouse is running"); waited += 100) {
      if (server.exitCode !== null || waited > 60_000) throw new Error(`the server did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const cookie = await signInAlice(origin);
    await rememberConsent(origin, cookie, "openid offline_access api");
    const steps = {
      authorize: async (state) => {
        const pkce = pkcePair();
        const url = new URL(`${origin}/connect/authorize`);
        url.search = new URLSearchParams({
          client_id: SPA.clientId,
          redirect_uri: SPA.redirectUri,
          response_type: "code",
          scope: "openid offline_access api",
          state: "s",
          code_challenge: pkce.challenge,
          code_challenge_method: "S256",
        }).toString();
        const response = await fetch(url, { redirect: "manual", headers: { cookie } });
        state.code = new URL(response.headers.get("location")).searchParams.get("code");
        state.pkce = pkce;
        if (!state.code) throw new Error(`authorize gave no code: ${response.headers.get("location")}`);
      },
      "token (authorization_code)": async (state) => {
        const response = await fetch(`${origin}/connect/token`, {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ grant_type: "authorization_code", client_id: SPA.clientId, code: state.code, redirect_uri: SPA.redirectUri, code_verifier: state.pkce.verifier }),
        });
        const json = await response.json();
        if (!json.access_token) throw new Error(`token: ${JSON.stringify(json)}`);
        Object.assign(state, { accessToken: json.access_token, refreshToken: json.refresh_token });
      },
      userinfo: async (state) => {
        const response = await fetch(`${origin}/connect/userinfo`, { headers: { Authorization: `Bearer ${state.accessToken}` } });
        if (response.status !== 200) throw new Error(`userinfo ${response.status}`);
      },
      "token (refresh_token)": async (state) => {
        const response = await fetch(`${origin}/connect/token`, {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ grant_type: "refresh_token", client_id: SPA.clientId, refresh_token: state.refreshToken }),
        });
        const json = await response.json();
        if (!json.refresh_token) throw new Error(`refresh: ${JSON.stringify(json)}`);
        state.refreshToken = json.refresh_token;
      },
      "token (client_credentials)": async (state) => {
        const response = await fetch(`${origin}/connect/token`, {
          method: "POST",
          headers: { Authorization: POSTMAN_BASIC, "Content-Type": "application/x-www-form-urlencoded" },
          body: "grant_type=client_credentials&scope=api",
        });
        const json = await response.json();
        if (!json.access_token) throw new Error(`client_credentials: ${JSON.stringify(json)}`);
        state.clientToken = json.access_token;
      },
      introspection: async (state) => {
        const response = await fetch(`${origin}/connect/introspect`, {
          method: "POST",
          headers: { Authorization: POSTMAN_BASIC, "Content-Type": "application/x-www-form-urlencoded" },
          body: `token=${state.clientToken}`,
        });
        if ((await response.json()).active !== true) throw new Error("introspection: not active");
      },
      revocation: async (state) => {
        const response = await fetch(`${origin}/connect/revoke`, {
          method: "POST",
          headers: { Authorization: POSTMAN_BASIC, "Content-Type": "application/x-www-form-urlencoded" },
          body: `token=${state.clientToken}`,
        });
        if (response.status !== 200) throw new Error(`revocation ${response.status}`);
      },
    };
    const warm = {};
    for (const step of Object.values(steps)) await step(warm);
    const state = {};
    console.log(`dist/server.js of ${serverRoot}, database ${database}: statements per step (sequential, after one warm-up pass)`);
    for (const [name, step] of Object.entries(steps)) {
      const { lines } = await statementsOf(() => step(state));
      console.log(`${name.padEnd(28)} ${lines.length}`);
      if (args.verbose) for (const line of lines) console.log(`    ${line.replace(/^.*LOG: {2}/, "").slice(0, 160)}`);
    }
  } finally {
    if (server && server.exitCode === null) {
      server.kill("SIGTERM");
      await new Promise((resolve) => server.once("exit", resolve));
    }
    await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
