// The embedded database's directory is private to the user running Gatehouse:
// its WAL and table files hold password hashes, session ids and encrypted keys.
// The directory is 0700 and every file in it 0600 (no group or other bits),
// for a new install, for the files PGlite creates later, and for an older
// install whose files were created 0755/0644 (tightened at every start).
import fs from "node:fs";
import path from "node:path";
import { isMainThread } from "node:worker_threads";

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

/**
 * PGlite creates its files itself, with the process's umask, at any time (a
 * new WAL segment, a new table file): the only way to have them owner-only is
 * a umask that removes group and other bits. It is widened never, only
 * narrowed, and it holds for every file this process creates afterwards
 * (the same user still reads them). A worker thread cannot change the umask;
 * there the start-up tightening is what remains.
 */
export function restrictNewFilesToOwner(): void {
  if (!isMainThread) return;
  const previous = process.umask(GROUP_AND_OTHER_BITS);
  process.umask(previous | GROUP_AND_OTHER_BITS);
}
