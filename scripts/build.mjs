// `npm run build`: Prisma client, Next.js build, and the production server and
// CLI bundled with esbuild into dist/. Records a fingerprint of the sources so
// `npm start` rebuilds only when something changed.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bundleWithEsbuild } from "./ensure-build.mjs";
import { CLI_STAMP_FILE, sourceFingerprint, STAMP_FILE } from "./fingerprint.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: "inherit" });
const bin = (name) => path.join(root, "node_modules", ".bin", name);

const started = Date.now();
run(bin("prisma"), ["generate"]);
run(process.execPath, [path.join(root, "node_modules/next/dist/bin/next"), "build"]);
bundleWithEsbuild(root, ["server.ts", "cli.ts"]);
const fingerprint = sourceFingerprint(root) + "\n";
fs.writeFileSync(path.join(root, STAMP_FILE), fingerprint);
fs.writeFileSync(path.join(root, CLI_STAMP_FILE), fingerprint);
console.log(`Gatehouse built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
