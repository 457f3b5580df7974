// The embedded database's directory is private to the user running Gatehouse:
// its WAL and table files hold password hashes, session ids and encrypted keys.
// The directory is 0700 and every file in it 0600 (no group or other bits),
// for a new install, for the files PGlite creates later (its file system is
// wrapped), and for an older install whose files were created 0755/0666
// (tightened at every start).
import fs from "node:fs";
import path from "node:path";
import type { NodeFS } from "@electric-sql/pglite/nodefs";

/** How lib/settings.ts and lib/db/lock.ts create the data directory. */
export const PRIVATE_DIRECTORY_MODE = 0o700;
/** The bits a file or directory under the data directory must not have. */
export const GROUP_AND_OTHER_BITS = 0o077;
/** PGlite's own files live here; everything below it is the database. */
export const PGLITE_SUBDIRECTORY = "pglite";
/** Files Gatehouse itself keeps beside the database. */
const OWN_FILES = ["secret.key", "gatehouse.lock"];

/** Drops the group and other bits of one entry (never following a symlink); true when it changed. */
function removeGroupAndOtherAccess(entry: string): boolean {
  const stat = fs.lstatSync(entry);
  if (stat.isSymbolicLink() || (stat.mode & GROUP_AND_OTHER_BITS) === 0) return false;
  fs.chmodSync(entry, stat.mode & 0o7700);
  return true;
}

/** Everything under `directory`, depth first, without following symlinks. */
function* entriesUnder(directory: string): Generator<string> {
  for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
    const full = path.join(/*turbopackIgnore: true*/ directory, entry.name);
    yield full;
    if (entry.isDirectory()) yield* entriesUnder(full);
  }
}

/**
 * Makes the data directory, Gatehouse's files in it and everything under
 * pglite/ owner-only; returns how many entries changed. Only what Gatehouse
 * owns is walked: a GATEHOUSE_DATA_DIR pointed at a shared directory by
 * mistake does not get all of its contents changed.
 */
export function makeDataDirectoryPrivate(dataDir: string): number {
  let changed = removeGroupAndOtherAccess(dataDir) ? 1 : 0;
  for (const name of OWN_FILES) {
    const file = path.join(/*turbopackIgnore: true*/ dataDir, name);
    if (fs.existsSync(file) && removeGroupAndOtherAccess(file)) changed++;
  }
  const database = path.join(/*turbopackIgnore: true*/ dataDir, PGLITE_SUBDIRECTORY);
  if (fs.existsSync(database)) {
    if (removeGroupAndOtherAccess(database)) changed++;
    for (const entry of entriesUnder(database)) if (removeGroupAndOtherAccess(entry)) changed++;
  }
  return changed;
}

/** The mode with the group and other bits removed. */
export function ownerOnly(mode: number): number {
  return mode & ~GROUP_AND_OTHER_BITS;
}

/** The two places Emscripten's NODEFS sets a mode on a real file (PGlite 0.5's build). */
interface EmscriptenNodeFs {
  doSetAttr(target: unknown, node: unknown, attr: { mode?: number }, ...rest: unknown[]): void;
  node_ops: { mknod(parent: unknown, name: string, mode: number, dev: unknown): unknown };
}

/**
 * Makes every file and directory Emscripten's NODEFS creates or chmods
 * owner-only. Postgres in PGlite opens new files with mode 0666 and Emscripten
 * then chmods them to exactly that, so a umask does not help; the mode is
 * narrowed where Emscripten hands it to Node. Fails the start if the hooks are
 * not there (a PGlite upgrade changed them): never run with files others can read.
 */
export function narrowModesOf(nodefs: EmscriptenNodeFs): void {
  const { doSetAttr } = nodefs;
  const { mknod } = nodefs.node_ops;
  if (typeof doSetAttr !== "function" || typeof mknod !== "function") {
    throw new Error("PGlite's file system has changed: Gatehouse cannot keep the embedded database files owner-only (lib/db/dataDirectory.ts).");
  }
  nodefs.doSetAttr = function (target, node, attr, ...rest) {
    return doSetAttr.call(this, target, node, attr.mode === undefined ? attr : { ...attr, mode: ownerOnly(attr.mode) }, ...rest);
  };
  nodefs.node_ops.mknod = function (parent, name, mode, dev) {
    return mknod.call(this, parent, name, ownerOnly(mode), dev);
  };
}

/** PGlite's Node.js file system, with every file it creates owner-only. */
export function ownerOnlyFileSystem(Base: typeof NodeFS, directory: string): NodeFS {
  class OwnerOnlyNodeFS extends Base {
    override async init(...args: Parameters<NodeFS["init"]>) {
      const { emscriptenOpts } = await super.init(...args);
      const narrow = (mod: { NODEFS: unknown }) => narrowModesOf(mod.NODEFS as EmscriptenNodeFs);
      return { emscriptenOpts: { ...emscriptenOpts, preRun: [narrow, ...(emscriptenOpts.preRun ?? [])] } };
    }
  }
  return new OwnerOnlyNodeFS(directory);
}
