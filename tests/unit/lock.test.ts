import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { acquireDirectoryLock, DataDirectoryLockedError, type DirectoryLock } from "@/lib/db/lock";

let root: string;
let holder: ChildProcess;
const held: DirectoryLock[] = [];

function freshDir(): string {
  return fs.mkdtempSync(path.join(root, "data-"));
}

function acquire(dir: string): DirectoryLock {
  const lock = acquireDirectoryLock(dir);
  held.push(lock);
  return lock;
}

async function exitedPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  const pid = child.pid!;
  await new Promise((resolve) => child.once("exit", resolve));
  return pid;
}

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-lock-"));
  // A live process other than this one, standing in for a second Gatehouse.
  holder = spawn("sleep", ["30"], { stdio: "ignore" });
  await new Promise((resolve) => holder.once("spawn", resolve));
});

afterEach(() => {
  while (held.length > 0) held.pop()!.release();
});

afterAll(() => {
  holder.kill();
  fs.rmSync(root, { recursive: true, force: true });
});

describe("acquireDirectoryLock", () => {
  it("creates the directory and a lock file holding this process's pid", () => {
    const dir = path.join(freshDir(), "nested", "data");
    const lock = acquire(dir);
    expect(lock.path).toBe(path.join(dir, "gatehouse.lock"));
    expect(fs.readFileSync(lock.path, "utf8").trim()).toBe(String(process.pid));
  });

  it("a directory held by another live process is refused with DataDirectoryLockedError", () => {
    const dir = freshDir();
    const lockPath = path.join(dir, "gatehouse.lock");
    fs.writeFileSync(lockPath, `${holder.pid}\n`);
    let caught: unknown;
    try {
      acquire(dir);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DataDirectoryLockedError);
    const error = caught as DataDirectoryLockedError;
    expect(error.ownerPid).toBe(holder.pid);
    expect(error.lockPath).toBe(lockPath);
    expect(error.message).toContain(String(holder.pid));
    expect(error.message).toContain("DATABASE_URL");
    // The other process's lock is left alone.
    expect(fs.readFileSync(lockPath, "utf8").trim()).toBe(String(holder.pid));
  });

  it("a lock taken by a real second node process blocks this one", async () => {
    const dir = freshDir();
    const lockPath = path.join(dir, "gatehouse.lock");
    // The child takes the lock the same way (exclusive create, pid inside) and keeps running.
    const child = spawn(
      process.execPath,
      ["-e", `const fs=require("fs");const fd=fs.openSync(${JSON.stringify(lockPath)},"wx");fs.writeSync(fd,process.pid+"\\n");fs.closeSync(fd);console.log("locked");setTimeout(()=>{},30000);`],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.once("data", () => resolve());
        child.once("exit", (code) => reject(new Error(`child exited early (${code})`)));
      });
      expect(() => acquire(dir)).toThrow(DataDirectoryLockedError);
    } finally {
      child.kill();
      await new Promise((resolve) => child.once("exit", resolve));
    }
    // Once that process is gone its lock is stale and can be taken over.
    const lock = acquire(dir);
    expect(fs.readFileSync(lock.path, "utf8").trim()).toBe(String(process.pid));
  });

  it("a stale lock (its process has exited) is taken over", async () => {
    const dir = freshDir();
    const lockPath = path.join(dir, "gatehouse.lock");
    const dead = await exitedPid();
    fs.writeFileSync(lockPath, `${dead}\n`);
    const lock = acquire(dir);
    expect(fs.readFileSync(lock.path, "utf8").trim()).toBe(String(process.pid));
    // Nothing is left lying around from the takeover.
    expect(fs.readdirSync(dir)).toEqual(["gatehouse.lock"]);
  });

  it("an empty or garbage lock file is taken over", () => {
    for (const content of ["", "not-a-pid\n"]) {
      const dir = freshDir();
      fs.writeFileSync(path.join(dir, "gatehouse.lock"), content);
      const lock = acquire(dir);
      expect(fs.readFileSync(lock.path, "utf8").trim()).toBe(String(process.pid));
    }
  });

  it("a leftover lock carrying this process's own pid (pid reuse after a container restart) is taken over", () => {
    const dir = freshDir();
    fs.writeFileSync(path.join(dir, "gatehouse.lock"), `${process.pid}\n`);
    const lock = acquire(dir);
    expect(fs.readFileSync(lock.path, "utf8").trim()).toBe(String(process.pid));
  });

  it("a second acquire inside the same process is refused while the first is held", () => {
    const dir = freshDir();
    const first = acquire(dir);
    expect(() => acquireDirectoryLock(dir)).toThrow(DataDirectoryLockedError);
    first.release();
    expect(fs.existsSync(acquire(dir).path)).toBe(true);
  });

  it("release removes the file, is idempotent, and the directory can be locked again", () => {
    const dir = freshDir();
    const lock = acquireDirectoryLock(dir);
    expect(fs.existsSync(lock.path)).toBe(true);
    lock.release();
    expect(fs.existsSync(lock.path)).toBe(false);
    lock.release();
    const again = acquire(dir);
    expect(fs.existsSync(again.path)).toBe(true);
  });

  it("release does not remove a lock that now belongs to another process", () => {
    const dir = freshDir();
    const lock = acquireDirectoryLock(dir);
    fs.writeFileSync(lock.path, `${holder.pid}\n`);
    lock.release();
    expect(fs.readFileSync(lock.path, "utf8").trim()).toBe(String(holder.pid));
  });

  it("release unregisters its exit handler", () => {
    const before = process.listenerCount("exit");
    const lock = acquireDirectoryLock(freshDir());
    expect(process.listenerCount("exit")).toBe(before + 1);
    lock.release();
    expect(process.listenerCount("exit")).toBe(before);
  });

  it("a custom lock file name is honoured", () => {
    const dir = freshDir();
    const lock = acquireDirectoryLock(dir, "other.lock");
    held.push(lock);
    expect(path.basename(lock.path)).toBe("other.lock");
  });
});
