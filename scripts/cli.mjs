// `npm run gatehouse -- <command>`, `npm run migrate`, `npm run seed:demo`, `npm run keys:rotate`:
// run the CLI (dist/cli.js). The CLI needs no Next.js build: when the full build is not current,
// only cli.ts is bundled again (esbuild, about a second), so a command works on a fresh clone or
// right after a change without the ~25 s `next build`.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { root } from "./ensure-build.mjs";
import { isBuildCurrent } from "./fingerprint.mjs";

if (!isBuildCurrent(root)) {
  const generated = path.join(root, "lib/db/generated/client.ts");
  const mtime = (file) => (fs.existsSync(file) ? fs.statSync(file).mtimeMs : 0);
  if (mtime(generated) < mtime(path.join(root, "prisma/schema.prisma"))) {
    execFileSync(path.join(root, "node_modules/.bin/prisma"), ["generate"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  }
  execFileSync(
    path.join(root, "node_modules/.bin/esbuild"),
    ["cli.ts", "--bundle", "--platform=node", "--target=node20", "--format=esm", "--packages=external", "--outdir=dist", "--log-level=warning"],
    { cwd: root, stdio: "inherit" },
  );
}
process.chdir(root);
await import(pathToFileURL(path.join(root, "dist/cli.js")).href);
