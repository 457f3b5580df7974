import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CLI_STAMP_FILE, isBuildCurrent, isCliBuildCurrent, sourceFingerprint } from "./fingerprint.mjs";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Builds when there is no build yet or the sources changed since the last one. */
export function ensureBuilt() {
  if (isBuildCurrent(root)) return;
  console.log("Building Gatehouse (first start or changed sources)...");
  execFileSync(process.execPath, [path.join(root, "scripts/build.mjs")], { cwd: root, stdio: "inherit" });
}

/** Bundles server-side entry points (server.ts, cli.ts) into dist/ with esbuild; packages stay external. */
export function bundleWithEsbuild(projectRoot, entryPoints) {
  execFileSync(
    path.join(projectRoot, "node_modules", ".bin", "esbuild"),
    [...entryPoints, "--bundle", "--platform=node", "--target=node20", "--format=esm", "--packages=external", "--outdir=dist", "--log-level=warning"],
    { cwd: projectRoot, stdio: "inherit" },
  );
}

/**
 * Makes dist/cli.js current for `npm run gatehouse|migrate|seed:demo|keys:rotate`:
 * only cli.ts is bundled (about a second), never `next build` (about 25 s),
 * which the CLI does not need. Regenerates the Prisma client first when the
 * schema is newer than it.
 */
export function ensureCliBuilt(projectRoot = root) {
  if (isCliBuildCurrent(projectRoot)) return;
  const mtime = (file) => (fs.existsSync(file) ? fs.statSync(file).mtimeMs : 0);
  if (mtime(path.join(projectRoot, "lib/db/generated/client.ts")) < mtime(path.join(projectRoot, "prisma/schema.prisma"))) {
    execFileSync(path.join(projectRoot, "node_modules", ".bin", "prisma"), ["generate"], { cwd: projectRoot, stdio: ["ignore", "ignore", "inherit"] });
  }
  bundleWithEsbuild(projectRoot, ["cli.ts"]);
  fs.writeFileSync(path.join(projectRoot, CLI_STAMP_FILE), sourceFingerprint(projectRoot) + "\n");
}
