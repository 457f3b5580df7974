// `npm run migrate | seed:demo | keys:rotate | gatehouse` go through scripts/cli.mjs,
// which must bundle only dist/cli.js, never start `next build` (issue #11). The
// scripts run here in a scratch project: the real scripts, a one-line cli.ts and
// the real node_modules, so a full build would fail there or leave a .next.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "../..");
let scratch: string;

function runCli(...args: string[]) {
  const run = spawnSync(process.execPath, [path.join(scratch, "scripts/cli.mjs"), ...args], { cwd: scratch, encoding: "utf8", timeout: 30_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

const bundleTime = () => fs.statSync(path.join(scratch, "dist/cli.js")).mtimeMs;

beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-cli-build-"));
  fs.mkdirSync(path.join(scratch, "scripts"));
  for (const script of fs.readdirSync(path.join(root, "scripts")).filter((name) => name.endsWith(".mjs"))) {
    fs.copyFileSync(path.join(root, "scripts", script), path.join(scratch, "scripts", script));
  }
  fs.writeFileSync(path.join(scratch, "package.json"), JSON.stringify({ type: "module" }));
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the scratch cli.ts's own source, a template literal in it
  fs.writeFileSync(path.join(scratch, "cli.ts"), 'const args: string[] = process.argv.slice(2);\nconsole.log(`tiny cli: ${args.join(" ")}`);\n');
  fs.symlinkSync(path.join(root, "node_modules"), path.join(scratch, "node_modules"), "dir");
});

afterAll(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe("scripts/cli.mjs", () => {
  it("bundles dist/cli.js alone on a tree with no build, and runs it", () => {
    const { status, output } = runCli("migrate");
    expect(output).toContain("tiny cli: migrate");
    expect(status).toBe(0);
    expect(fs.existsSync(path.join(scratch, ".next"))).toBe(false);
    expect(fs.readdirSync(path.join(scratch, "dist")).sort()).toEqual([".cli-stamp", "cli.js"]);
  });

  it("reuses a current bundle and bundles again after a source change", () => {
    const first = bundleTime();
    expect(runCli("seed-demo").output).toContain("tiny cli: seed-demo");
    expect(bundleTime()).toBe(first);

    fs.writeFileSync(path.join(scratch, "cli.ts"), 'console.log("changed cli");\n');
    const { status, output } = runCli();
    expect(output).toContain("changed cli");
    expect(status).toBe(0);
    expect(fs.existsSync(path.join(scratch, ".next"))).toBe(false);
  });
});
