// `npm run build`: Prisma client, Next.js build, and the production server and
// CLI bundled with esbuild into dist/. Records a fingerprint of the sources so
// `npm start` rebuilds only when something changed.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sourceFingerprint, STAMP_FILE } from "./fingerprint.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: "inherit" });
const bin = (name) => path.join(root, "node_modules", ".bin", name);

const started = Date.now();
run(bin("prisma"), ["generate"]);
run(process.execPath, [path.join(root, "node_modules/next/dist/bin/next"), "build"]);
run(bin("esbuild"), [
  "server.ts",
  "cli.ts",
  "--bundle",
  "--platform=node",
  "--target=node20",
  "--format=esm",
  "--packages=external",
  "--outdir=dist",
  "--log-level=warning",
]);
fs.writeFileSync(path.join(root, STAMP_FILE), sourceFingerprint(root) + "\n");
console.log(`Gatehouse built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
