import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { isBuildCurrent } from "./fingerprint.mjs";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Builds when there is no build yet or the sources changed since the last one. */
export function ensureBuilt() {
  if (isBuildCurrent(root)) return;
  console.log("Building Gatehouse (first start or changed sources)...");
  execFileSync(process.execPath, [path.join(root, "scripts/build.mjs")], { cwd: root, stdio: "inherit" });
}
