// Issue #12 item 5 over real processes: on PostgreSQL the built server runs a
// node:cluster primary and GATEHOUSE_WORKERS workers on one port (decision
// 0016). Both workers serve, the client limits hold for the installation (not
// per worker), a killed worker is replaced, too many deaths end the primary,
// SIGTERM lets requests in flight finish and ends everything with exit 0, and
// the sign-in banner is printed once. On the embedded PGlite more than one
// worker is refused at start.
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DEMO_SPA, exchangeCode, newPkce, authorizeUrl } from "../helpers/codeFlow";
import { POSTMAN, TOKEN_PATH, basicAuthorization } from "../helpers/oauth";
import { completeAuthorization, signedInCookie } from "../helpers/portal";
import { runFailingServer } from "../helpers/processes";
import { createSeededStore, createTestStore, runCli, startServer, type RunningServer, type TestStore } from "../helpers/server";

/** Process ids whose parent is `parent` (from /proc/<pid>/stat: "pid (comm) state ppid …"). */
function childrenOf(parent: number): number[] {
  const children: number[] = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === parent) children.push(Number(name));
    } catch {
      /* ended meanwhile */
    }
  }
  return children.sort((a, b) => a - b);
}

/** Established TCP connections on local port `port`, by socket inode (/proc/net/tcp and tcp6). */
function establishedInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, "utf8").split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const localPort = parseInt(fields[1]!.split(":").at(-1)!, 16);
      if (localPort === port && fields[3] === "01") inodes.add(fields[9]!);
    }
  }
  return inodes;
}

/** How many of the server's established connections each process holds. */
function connectionsHeldBy(pids: number[], port: number): Map<number, number> {
  const established = establishedInodes(port);
  const held = new Map<number, number>();
  for (const pid of pids) {
    let count = 0;
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      try {
        const inode = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        if (inode && established.has(inode)) count++;
      } catch {
        /* closed meanwhile */
      }
    }
    held.set(pid, count);
  }
  return held;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request; `agent: false` opens a new connection, which the primary hands to the next worker in turn. */
function request(url: string, options: { method?: string; headers?: Record<string, string>; body?: string; agent?: http.Agent | false } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? "GET", headers: options.headers, agent: options.agent ?? false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${url} within 10 s`)));
    req.end(options.body);
  });
}

/** client_credentials for postman from `address` (the test plays the one trusted proxy). */
const postmanToken = (base: string, address: string, secret: string = POSTMAN.secret) =>
  request(base + TOKEN_PATH, {
    method: "POST",
    headers: {
      Authorization: basicAuthorization(POSTMAN.clientId, secret),
      "Content-Type": "application/x-www-form-urlencoded",
      "X-Forwarded-For": address,
    },
    body: "grant_type=client_credentials&scope=api",
  });

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const exited = (server: RunningServer) =>
  server.process.exitCode !== null || server.process.signalCode !== null
    ? Promise.resolve(server.process.exitCode)
    : new Promise<number | null>((resolve) => server.process.once("exit", (code) => resolve(code)));

/** A full authorization code flow for the demo spa as alice; the token response's status. */
async function codeFlow(base: string): Promise<number> {
  const cookie = await signedInCookie(base, "alice", "alice-password");
  const pkce = newPkce();
  const callback = await completeAuthorization(
    base,
    cookie,
    authorizeUrl(base, { clientId: DEMO_SPA.clientId, redirectUri: DEMO_SPA.redirectUri, scope: "openid api", state: "s", pkce }),
  );
  const code = callback.searchParams.get("code");
  expect(code, `callback ${callback}`).toBeTruthy();
  const token = await exchangeCode(base, { clientId: DEMO_SPA.clientId, code: code!, verifier: pkce.verifier, redirectUri: DEMO_SPA.redirectUri });
  const body = (await token.json()) as { access_token?: string; id_token?: string };
  expect(body.access_token).toBeTruthy();
  expect(body.id_token).toBeTruthy();
  return token.status;
}

const REQUEST_BUDGET = 12;

describe("GATEHOUSE_WORKERS=2 on PostgreSQL", () => {
  let store: TestStore;
  let server: RunningServer;
  let workers: number[];

  beforeAll(async () => {
    const seeded = await createSeededStore("postgres");
    store = seeded;
    if (!seeded.seeded) await runCli(store, ["seed-demo"]);
    server = await startServer(store, {
      GATEHOUSE_WORKERS: "2",
      GATEHOUSE_TRUST_PROXY: "1",
      GATEHOUSE_CLIENT_AUTH_FAILURE_LIMIT: "3",
      GATEHOUSE_CLIENT_RATE_LIMIT: `${REQUEST_BUDGET}/60`,
    });
    // The readiness probe answered once a worker listened; the banner comes once both do.
    await waitFor("the start banner", () => (server.output().includes("Gatehouse is running at") ? true : undefined));
    workers = childrenOf(server.process.pid!);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await store?.cleanup();
  });

  test("the primary runs two workers and prints the sign-in banner once", () => {
    expect(workers).toHaveLength(2);
    const output = server.output();
    expect(output.match(/Gatehouse is running at/g)).toHaveLength(1);
    expect(output.match(/ {2}discovery: /g)).toHaveLength(1);
    expect(output).toContain(`workers: 2 processes on one port (GATEHOUSE_WORKERS), pids ${workers.join(", ")}`);
  });

  test("both workers hold connections and answer on them", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    try {
      const answers = await Promise.all(Array.from({ length: 4 }, () => request(`${server.url}/.well-known/jwks.json`, { agent })));
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
      const held = connectionsHeldBy(workers, server.port);
      const total = [...held.values()].reduce((sum, count) => sum + count, 0);
      // Ours, and any the readiness probe's fetch still keeps open.
      expect(total, JSON.stringify([...held])).toBeGreaterThanOrEqual(4);
      for (const pid of workers) expect(held.get(pid), `connections held by worker ${pid}`).toBeGreaterThan(0);
    } finally {
      agent.destroy();
    }
  });

  test("a full authorization code flow works across the workers", async () => {
    expect(await codeFlow(server.url)).toBe(200);
  });

  test("CA-02 failed authentications lock the (client, address) pair out on every worker, not per worker", async () => {
    // Four failures over new connections: two reach each worker. Per-worker counters (limit 3) would lock nothing.
    for (let i = 0; i < 4; i++) expect((await postmanToken(server.url, "203.0.113.8", "wrong-secret")).status).toBe(401);
    for (let i = 0; i < 4; i++) {
      const locked = await postmanToken(server.url, "203.0.113.8");
      expect(locked.status).toBe(429);
      expect(Number(locked.headers["retry-after"])).toBeGreaterThan(0);
    }
    // The lockout is the pair's: the client itself is served from elsewhere (one request of its budget).
    expect((await postmanToken(server.url, "203.0.113.9")).status).toBe(200);
  });

  test("the client's request budget holds for the installation, not twice over with two workers", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 2 * REQUEST_BUDGET; i++) statuses.push((await postmanToken(server.url, "203.0.113.10")).status);
    // One of the budget went to the request just before.
    expect(statuses.filter((status) => status === 200)).toHaveLength(REQUEST_BUDGET - 1);
    expect(statuses.filter((status) => status === 429)).toHaveLength(REQUEST_BUDGET + 1);
  });

  test("a worker killed with SIGKILL is replaced and the service goes on", async () => {
    const [victim, survivor] = workers as [number, number];
    process.kill(victim, "SIGKILL");
    // A connection the primary hands to a worker in the instant it dies is lost with it (decision 0016);
    // from when the primary has seen the death, the other worker takes every new connection.
    await waitFor("the primary to see the death", () => (server.output().includes(`worker pid ${victim} ended unexpectedly`) ? true : undefined));
    for (let i = 0; i < 4; i++) expect((await request(`${server.url}/.well-known/openid-configuration`)).status).toBe(200);
    const replaced = await waitFor("a replacement worker", () => {
      const now = childrenOf(server.process.pid!);
      return now.length === 2 && !now.includes(victim) && now.includes(survivor) ? now : undefined;
    });
    const newcomer = replaced.find((pid) => pid !== survivor)!;
    // Once it listens the primary hands it connections too.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    try {
      await waitFor("the replacement holding connections", async () => {
        const answers = await Promise.all(Array.from({ length: 4 }, () => request(`${server.url}/.well-known/jwks.json`, { agent })));
        expect(answers.every((answer) => answer.status === 200)).toBe(true);
        const held = connectionsHeldBy([newcomer], server.port).get(newcomer)!;
        agent.destroy();
        return held > 0 ? true : undefined;
      });
    } finally {
      agent.destroy();
    }
    expect(server.output()).toContain(`Gatehouse: worker pid ${victim} ended unexpectedly (signal SIGKILL); starting another`);
    expect(server.process.exitCode).toBeNull();
    expect(await codeFlow(server.url)).toBe(200);
    workers = replaced;
  }, 60_000);

  test("SIGTERM: a request in flight still gets its answer, then every process ends and the primary exits 0", async () => {
    const body = `grant_type=authorization_code&client_id=${DEMO_SPA.clientId}&code=not-a-code&code_verifier=${"v".repeat(43)}`;
    const socket = net.connect(server.port, "127.0.0.1");
    await new Promise<void>((resolve) => socket.once("connect", resolve));
    let answer = "";
    socket.setEncoding("utf8").on("data", (chunk) => (answer += chunk));
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    // Headers and half the body: the request is being served when the signal comes.
    socket.write(
      `POST ${TOKEN_PATH} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
        `Content-Length: ${body.length}\r\n\r\n${body.slice(0, 20)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const exit = exited(server);
    server.process.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 500));
    socket.write(body.slice(20));
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    expect(answer).toContain('"invalid_grant"');
    expect(await exit).toBe(0);
    for (const pid of workers) expect(() => process.kill(pid, 0), `worker ${pid} still running`).toThrow();
    expect(server.output().match(/Gatehouse stopping \(SIGTERM\)/g)).toHaveLength(1);
  }, 30_000);

  test("workers that die too often: the primary stops replacing them and exits 1 with the reason", async () => {
    server = await startServer(store, { GATEHOUSE_WORKERS: "2" });
    await waitFor("the start banner", () => (server.output().includes("Gatehouse is running at") ? true : undefined));
    const exit = exited(server);
    const killed = new Set<number>();
    // Six deaths within a minute (the limit is five): kill each worker as soon as it appears.
    while (server.process.exitCode === null && killed.size < 20) {
      const victim = childrenOf(server.process.pid!).find((pid) => !killed.has(pid));
      if (victim === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      killed.add(victim);
      try {
        process.kill(victim, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
    expect(await exit).toBe(1);
    expect(killed.size).toBeGreaterThanOrEqual(6);
    expect(server.output()).toMatch(/workers died 6 times within 60 s .*; not starting more; stopping/);
  }, 60_000);
});

describe("GATEHOUSE_WORKERS on the embedded PGlite", () => {
  test("more than one worker is refused at start, naming the variable", async () => {
    const store = await createTestStore("pglite");
    try {
      const result = await runFailingServer(store, { GATEHOUSE_WORKERS: "2" });
      expect(result.timedOut).toBe(false);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/Gatehouse failed to start: GATEHOUSE_WORKERS=2 needs DATABASE_URL \(PostgreSQL\)/);
    } finally {
      await store.cleanup();
    }
  });
});
