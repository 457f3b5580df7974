// `npm start`: build if needed, then run the production server (which
// migrates, seeds an empty embedded database and prints where to sign in).
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ensureBuilt, root } from "./ensure-build.mjs";

ensureBuilt();
process.chdir(root);
await import(pathToFileURL(path.join(root, "dist/server.js")).href);
