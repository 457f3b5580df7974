// Smoke test of `npm run bench -- --reference` (scripts/bench/reference.mjs): in a tiny mode
// (one 1 s round per side, four connections, two scenarios) the built Gatehouse and the
// reference (node-oidc-provider) both start, every measured unit is checked and counted, and
// the run prints a ratio for each scenario and exits 0. Here rather than in the unit suite: it
// needs the build and starts two servers (about 15 s).
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { PROJECT_ROOT } from "../helpers/server";

interface SideResult {
  units: number;
  errors: number;
  perSecond: number;
  cpuMsPerUnit: number;
}

interface BenchReport {
  results: { scenario: string; ratio: number; cpuRatio: number; gatehouse: SideResult; reference: SideResult }[];
  referenceVersion: string;
  failure: string | null;
}

function runBench(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, "scripts/bench.mjs"), ...args], { cwd: PROJECT_ROOT, env: process.env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill("SIGTERM"), 120_000);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe("npm run bench -- --reference", () => {
  test("a tiny run measures validated units on both servers and prints their ratio", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-reference-bench-"));
    try {
      const jsonFile = path.join(dir, "results.json");
      const only = ["cc_token", "introspect"];
      const { code, output } = await runBench(["--reference", "--duration", "1", "--rounds", "1", "--warmup", "0", "--prime", "0", "--connections", "4", "--only", only.join(","), "--json", jsonFile]);
      expect(code, output).toBe(0);
      const report = JSON.parse(fs.readFileSync(jsonFile, "utf8")) as BenchReport;
      expect(report.failure).toBeNull();
      expect(report.referenceVersion).toBe("oidc-provider 9.13.3");
      expect(report.results.map((result) => result.scenario)).toEqual(only);
      for (const result of report.results) {
        for (const side of [result.gatehouse, result.reference]) {
          expect(side.units, `${result.scenario}: units`).toBeGreaterThan(0);
          expect(side.errors, `${result.scenario}: errors`).toBe(0);
          expect(side.cpuMsPerUnit, `${result.scenario}: CPU per unit`).toBeGreaterThan(0);
        }
        expect(result.ratio).toBeCloseTo(result.gatehouse.perSecond / result.reference.perSecond, 6);
        expect(result.cpuRatio).toBeCloseTo(result.reference.cpuMsPerUnit / result.gatehouse.cpuMsPerUnit, 6);
      }
      expect(output.match(/ratio Gatehouse\/reference \d+\.\d\dx/g)).toHaveLength(only.length);
      expect(output).toMatch(/\| client_credentials \(RS256\) \| req\/s \| [\d,]+ \| [\d,]+ \| \*\*\d+\.\d\dx\*\* \|/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
