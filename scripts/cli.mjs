// `npm run migrate`, `npm run seed:demo`: build if needed, then run the CLI.
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ensureBuilt, root } from "./ensure-build.mjs";

ensureBuilt();
process.chdir(root);
await import(pathToFileURL(path.join(root, "dist/cli.js")).href);
