// A cheap fingerprint of everything the build reads (paths, sizes, mtimes).
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export const STAMP_FILE = "dist/.build-stamp";
/** The CLI's own stamp: dist/cli.js alone, for commands that need no Next.js build. */
export const CLI_STAMP_FILE = "dist/.cli-stamp";

const INPUTS = ["app", "components", "lib", "prisma", "server.ts", "cli.ts", "instrumentation-client.ts", "next.config.js", "postcss.config.mjs", "tsconfig.json", "package.json", "package-lock.json"];
const SKIP = new Set(["generated", "node_modules", ".next"]);

function walk(file, out) {
  let stat;
  try {
    stat = fs.statSync(file);
  } catch {
    return;
  }
  if (stat.isDirectory()) {
    for (const name of fs.readdirSync(file).sort()) if (!SKIP.has(name)) walk(path.join(file, name), out);
  } else {
    out.push(`${file}:${stat.size}:${stat.mtimeMs}`);
  }
}

export function sourceFingerprint(root) {
  const entries = [];
  for (const input of INPUTS) walk(path.join(root, input), entries);
  return createHash("sha256").update(entries.join("\n")).digest("hex");
}

export function isBuildCurrent(root) {
  try {
    const stamp = fs.readFileSync(path.join(root, STAMP_FILE), "utf8").trim();
    return stamp === sourceFingerprint(root) && fs.existsSync(path.join(root, ".next", "BUILD_ID"));
  } catch {
    return false;
  }
}

/** Whether dist/cli.js was bundled from the current sources (by `npm run build` or by the CLI itself). */
export function isCliBuildCurrent(root) {
  try {
    const stamp = fs.readFileSync(path.join(root, CLI_STAMP_FILE), "utf8").trim();
    return stamp === sourceFingerprint(root) && fs.existsSync(path.join(root, "dist", "cli.js"));
  } catch {
    return false;
  }
}
