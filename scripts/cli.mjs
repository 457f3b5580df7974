// `npm run gatehouse -- <command>`, `npm run migrate`, `npm run seed:demo`, `npm run keys:rotate`:
// run the CLI (dist/cli.js). The CLI needs no Next.js build: when dist/cli.js is older than the
// sources, only cli.ts is bundled again (esbuild, about a second), so a command works on a fresh
// clone or right after a change without the ~25 s `next build`.
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ensureCliBuilt, root } from "./ensure-build.mjs";

ensureCliBuilt();
process.chdir(root);
await import(pathToFileURL(path.join(root, "dist/cli.js")).href);
