// An exclusive, pid-stamped lock file for the embedded database directory.
// PGlite has no lock of its own, and two processes on one directory silently
// lose acknowledged writes, so a second process must refuse to start.
import fs from "node:fs";
import path from "node:path";
import { PRIVATE_DIRECTORY_MODE } from "./dataDirectory";

export class DataDirectoryLockedError extends Error {
  constructor(readonly lockPath: string, readonly ownerPid: number) {
    super(
      `The embedded database in ${path.dirname(lockPath)} is already in use by process ${ownerPid} (lock file ${lockPath}). ` +
        `Only one Gatehouse process may open an embedded (PGlite) database at a time: stop that process, ` +
        `or set DATABASE_URL to a PostgreSQL database to run several instances.`,
    );
    this.name = "DataDirectoryLockedError";
  }
}

export interface DirectoryLock {
  readonly path: string;
  release(): void;
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readOwner(lockPath: string): number | null {
  try {
    return Number.parseInt(fs.readFileSync(lockPath, "utf8").trim(), 10);
  } catch {
    return null;
  }
}

/**
 * Locks held by this process. Kept on globalThis because the server bundle and
 * Next.js's bundles each load their own copy of this module.
 */
const HELD = Symbol.for("gatehouse.heldDirectoryLocks");
function heldLocks(): Set<string> {
  const holder = globalThis as typeof globalThis & { [HELD]?: Set<string> };
  holder[HELD] ??= new Set();
  return holder[HELD];
}

export function acquireDirectoryLock(directory: string, name = "gatehouse.lock"): DirectoryLock {
  fs.mkdirSync(directory, { recursive: true, mode: PRIVATE_DIRECTORY_MODE }); // owner-only, like everything in it
  const lockPath = path.join(/*turbopackIgnore: true*/ directory, name);
  // A lock file with our own pid is stale (pid reuse after a restart) unless this
  // process really holds it: then a second opener in the same process is a bug.
  if (heldLocks().has(lockPath)) throw new DataDirectoryLockedError(lockPath, process.pid);
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = fs.openSync(/*turbopackIgnore: true*/ lockPath, "wx", 0o600);
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      heldLocks().add(lockPath);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        heldLocks().delete(lockPath);
        if (readOwner(lockPath) === process.pid) fs.rmSync(lockPath, { force: true });
        process.off("exit", release);
      };
      process.on("exit", release);
      return { path: lockPath, release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = readOwner(lockPath);
      if (owner === null || Number.isNaN(owner)) {
        // Being written right now by another process, or truncated: look again shortly.
        sleepSync(20);
        const again = readOwner(lockPath);
        if (again !== null && !Number.isNaN(again) && isAlive(again) && again !== process.pid) {
          throw new DataDirectoryLockedError(lockPath, again);
        }
        if (again !== null && !Number.isNaN(again) && isAlive(again)) continue;
      } else if (owner !== process.pid && isAlive(owner)) {
        throw new DataDirectoryLockedError(lockPath, owner);
      }
      // Stale lock from a process that no longer exists: move it aside atomically,
      // so that of two racing processes only one removes it.
      const aside = `${lockPath}.stale-${process.pid}-${Date.now()}`;
      try {
        fs.renameSync(lockPath, aside);
      } catch {
        continue; // another process moved it first; look again
      }
      const moved = readOwner(aside);
      if (moved !== null && moved !== owner && isAlive(moved)) {
        // A racing process re-created the lock between our read and our rename: put it back.
        try {
          fs.linkSync(aside, lockPath);
        } catch {
          /* someone holds the path again; the loop re-checks */
        }
      }
      fs.rmSync(aside, { force: true });
    }
  }
  const owner = readOwner(lockPath) ?? -1;
  throw new DataDirectoryLockedError(lockPath, owner);
}

function sleepSync(ms: number) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
