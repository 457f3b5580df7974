// Issue #13 item 5 against the built server: `npm start -- --check-config`
// prints the configuration in effect (secrets masked) and exits 0, or names
// what is invalid and exits 1; an invalid value stops a real start with a
// message naming the variable, the problem and an example, before anything
// listens or opens the database. The schema itself: tests/unit/configuration.test.ts.
import { execFile } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIGURATION_VARIABLES } from "@/lib/settings";
import { runFailingServer } from "../helpers/processes";
import { PROJECT_ROOT, TEST_NODE_OPTIONS, createTestStore, type TestStore } from "../helpers/server";

interface Finished {
  code: number;
  stdout: string;
  stderr: string;
}

/** This process's environment without any of the server's variables: each test sets its own. */
function withoutConfiguration(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  for (const name of CONFIGURATION_VARIABLES) delete copy[name];
  return copy;
}

/**
 * The built server with `args` (what `npm start -- <args>` runs after scripts/start.mjs's build check, which
 * this skips: a stale fingerprint must not start a build under other tests), with the server's variables only from `env`.
 */
function start(args: string[], env: Record<string, string>): Promise<Finished> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...TEST_NODE_OPTIONS, path.join(PROJECT_ROOT, "dist/server.js"), ...args],
      { cwd: PROJECT_ROOT, env: { ...withoutConfiguration(process.env), NODE_ENV: "production", ...env }, timeout: 60_000, encoding: "utf8" },
      (error, stdout, stderr) => resolve({ code: error ? Number((error as NodeJS.ErrnoException & { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

let store: TestStore;

beforeAll(async () => {
  store = await createTestStore("pglite");
});

afterAll(async () => {
  await store?.cleanup();
});

describe("npm start -- --check-config", () => {
  it("prints every variable in effect with secrets masked, and exits 0", async () => {
    const result = await start(["--check-config"], {
      PORT: "22999",
      GATEHOUSE_DATA_DIR: store.dataDir,
      DATABASE_URL: "postgresql://gatehouse:db-password-xyz@db.internal:5432/gatehouse",
      GATEHOUSE_SECRET: "deployment-secret-xyz",
      GATEHOUSE_WORKERS: "2",
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Gatehouse configuration is valid \(\d+ variables\):$/m);
    expect(result.stdout).toMatch(/^ {2}PORT +set +22999$/m);
    expect(result.stdout).toMatch(/^ {2}GATEHOUSE_ISSUER +default +http:\/\/localhost:22999$/m);
    expect(result.stdout).toMatch(/^ {2}GATEHOUSE_WORKERS +set +2$/m);
    expect(result.stdout).toMatch(/^ {2}DATABASE_URL +set +postgresql:\/\/gatehouse:\*\*\*\*@db\.internal:5432\/gatehouse$/m);
    expect(result.stdout + result.stderr).not.toMatch(/db-password-xyz|deployment-secret-xyz/);
    // It only checks: nothing was started or written.
    expect(result.stdout).not.toMatch(/is running at/);
  });

  it("names what is invalid, with an example, and exits 1", async () => {
    const result = await start(["--check-config"], { GATEHOUSE_DATA_DIR: store.dataDir, GATEHOUSE_SHUTDOWN_DELAY_SECONDS: "a while", GATEHOUSE_ACCESS_TOKEN_ALG: "none" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Gatehouse configuration is invalid:\n2 settings are invalid:");
    expect(result.stderr).toContain('GATEHOUSE_ACCESS_TOKEN_ALG must be RS256 or ES256; got "none". Example: GATEHOUSE_ACCESS_TOKEN_ALG=ES256');
    expect(result.stderr).toContain('GATEHOUSE_SHUTDOWN_DELAY_SECONDS must be a whole number (0 disables it); got "a while". Example: GATEHOUSE_SHUTDOWN_DELAY_SECONDS=10');
  });
});

describe("a start with an invalid value", () => {
  it("stops with exit 1 and a message naming the variable, the problem and an example", async () => {
    const attempt = await runFailingServer(store, { GATEHOUSE_SHUTDOWN_TIMEOUT_SECONDS: "soon" });
    expect(attempt.timedOut).toBe(false);
    expect(attempt.code).toBe(1);
    expect(attempt.stderr).toContain(
      'Gatehouse failed to start: GATEHOUSE_SHUTDOWN_TIMEOUT_SECONDS must be a positive integer; got "soon". Example: GATEHOUSE_SHUTDOWN_TIMEOUT_SECONDS=60',
    );
    expect(attempt.output).not.toMatch(/is running at/);
  });
});
