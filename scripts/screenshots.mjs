// `npm run screenshots`: renders the portal's main pages in Chromium and
// saves them under docs/screenshots/ (the README shows them). It starts the
// built server on a fresh embedded database with the demo data, signs in as
// alice and as the admin, and visits each page as a user would.
import { chromiumPath } from "./chromium.mjs";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { ensureBuilt, root } from "./ensure-build.mjs";

const OUT = path.join(root, "docs", "screenshots");
const ADMIN_PASSWORD = randomBytes(12).toString("base64url");

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startServer() {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-screenshots-"));
  const env = { ...process.env, NODE_ENV: "production", PORT: String(port), HOST: "127.0.0.1", GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_ADMIN_PASSWORD: ADMIN_PASSWORD };
  delete env.DATABASE_URL;
  env.GATEHOUSE_ISSUER = `http://localhost:${port}`;
  const child = spawn(process.execPath, [path.join(root, "dist/server.js")], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout.on("data", (chunk) => (log += chunk));
  child.stderr.on("data", (chunk) => (log += chunk));
  const url = `http://localhost:${port}`;
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) throw new Error(`server exited:\n${log}`);
    try {
      if ((await fetch(`${url}/.well-known/openid-configuration`)).ok) break;
    } catch {
      /* not yet */
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function signIn(page, base, username, password, returnTo) {
  await page.goto(`${base}/login?returnTo=${encodeURIComponent(returnTo)}`);
  await page.getByLabel("Username or email").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.pathname === returnTo);
}

async function shoot(page, name) {
  await page.waitForLoadState("networkidle");
  await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
  console.log(`  docs/screenshots/${name}.png  ${page.url()}`);
}

function pkceChallenge(verifier) {
  return createHash("sha256").update(verifier).digest("base64url");
}

await ensureBuilt();
fs.mkdirSync(OUT, { recursive: true });
const server = await startServer();
const browser = await chromium.launch({
  executablePath: chromiumPath() ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const viewport = { width: 1200, height: 800 };
  const base = server.url;

  const visitor = await browser.newPage({ viewport: { width: 900, height: 700 } });
  await visitor.goto(`${base}/login`);
  await shoot(visitor, "login");
  const authorize = new URL(`${base}/connect/authorize`);
  for (const [key, value] of Object.entries({
    client_id: "spa",
    response_type: "code",
    redirect_uri: "http://localhost:5173/callback",
    scope: "openid profile email offline_access api",
    state: "screenshot",
    code_challenge: pkceChallenge(randomBytes(32).toString("base64url")),
    code_challenge_method: "S256",
  }))
    authorize.searchParams.set(key, value);
  await visitor.goto(authorize.toString());
  await visitor.getByLabel("Username or email").fill("alice");
  await visitor.getByLabel("Password").fill("alice-password");
  await visitor.getByRole("button", { name: "Sign in" }).click();
  await visitor.waitForURL(/\/consent/);
  await shoot(visitor, "consent");
  const callback = visitor.waitForRequest((request) => request.url().startsWith("http://localhost:5173/"));
  await visitor.getByRole("button", { name: "Allow" }).click();
  await callback;
  // Nothing listens at the app's address: let the failed navigation end before the next one.
  const settled = (url) => url.protocol === "chrome-error:" || url.href.startsWith("http://localhost:5173/");
  await visitor.waitForURL(settled).catch(() => visitor.waitForURL(settled));
  await visitor.setViewportSize(viewport);
  await visitor.goto(`${base}/account`);
  await shoot(visitor, "account");

  const admin = await browser.newPage({ viewport });
  await signIn(admin, base, "admin", ADMIN_PASSWORD, "/dashboard");
  await shoot(admin, "dashboard");
  for (const section of ["clients", "scopes", "users", "audit", "keys"]) {
    await admin.goto(`${base}/dashboard/${section}`);
    await shoot(admin, `dashboard-${section}`);
  }
  await admin.goto(`${base}/dashboard/clients/new`);
  await shoot(admin, "dashboard-client-new");
} finally {
  await browser.close();
  await server.stop();
}
