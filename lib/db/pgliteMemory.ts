// The embedded database's memory (issue #12 item 2: the server's RSS under load
// ≤ 300 MB on PGlite). Two things set it, measured with process.memoryUsage():
// - PGlite's WebAssembly memory never shrinks. Creating a new database (initdb)
//   grows it to ~630 MB, and V8 keeps that garbage until a full collection that
//   external memory alone does not trigger: a first `npm start` sat at 826 MB
//   RSS, a restart of the same install at 355 MB. So a new database is created
//   in a short-lived child process, and this process only ever opens it.
// - PostgreSQL's default shared_buffers (128 MB) fills the memory past its
//   128 MiB floor (open: 288 MB RSS; with 32 MB buffers: 192 MB). Gatehouse's
//   working set is small; what the buffers miss is in the OS page cache.
import { spawn } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

/** PostgreSQL settings the embedded database starts with, after PGlite's own. */
export const PGLITE_SETTINGS = ["-c", "shared_buffers=32MB"];

/** PGlite's start parameters: its defaults, then ours (a later `-c` wins). */
export function pgliteStartParams(defaults: readonly string[]): string[] {
  return [...defaults, ...PGLITE_SETTINGS];
}

/** True when `databaseDirectory` holds no database yet (PostgreSQL writes PG_VERSION first). */
export function isNewDatabaseDirectory(databaseDirectory: string): boolean {
  return !fs.existsSync(path.join(/*turbopackIgnore: true*/ databaseDirectory, "PG_VERSION"));
}

/** Where this process would import a package from: beside its entry script (dist/, Next.js, vitest), else the working directory. */
function packageUrl(specifier: string): string {
  const from = process.argv[1] ? path.resolve(process.argv[1]) : path.join(process.cwd(), "index.js");
  return pathToFileURL(createRequire(from).resolve(specifier)).href;
}

// Runs in the child, with the same start parameters. Emscripten gives the new files PostgreSQL's modes (0666)
// whatever the umask; they sit in the caller's 0700 directory, out of other users' reach, and the caller narrows
// them (makeDataDirectoryPrivate) before the database holds anything.
const CREATE_DATABASE_SCRIPT = `
const [directory, pgliteUrl, nodeFsUrl, settings] = process.argv.slice(1);
const { PGlite } = await import(pgliteUrl);
const { NodeFS } = await import(nodeFsUrl);
const database = await PGlite.create({ fs: new NodeFS(directory), startParams: [...PGlite.defaultStartParams, ...JSON.parse(settings)] });
await database.close();
`;

/** Creates the embedded database in `databaseDirectory` in a child process, whose memory goes with it. */
export function createDatabaseInChildProcess(databaseDirectory: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = [databaseDirectory, packageUrl("@electric-sql/pglite"), packageUrl("@electric-sql/pglite/nodefs"), JSON.stringify(PGLITE_SETTINGS)];
    const child = spawn(process.execPath, ["--input-type=module", "-e", CREATE_DATABASE_SCRIPT, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let errors = "";
    child.stderr.on("data", (chunk: Buffer) => {
      errors += chunk.toString("utf8");
    });
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`creating the embedded database in ${databaseDirectory} failed (${signal ?? `exit ${code}`}): ${errors.trim()}`));
    });
  });
}
