import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeDataDirectoryPrivate } from "@/lib/db/dataDirectory";
import { acquireDirectoryLock } from "@/lib/db/lock";

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-datadir-"));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const mode = (entry: string) => fs.lstatSync(entry).mode & 0o7777;

/** A data directory as an install before this change left it: 0755 directories, 0644/0666 files. */
function looseInstall(): string {
  const dir = fs.mkdtempSync(path.join(root, "data-"));
  fs.chmodSync(dir, 0o755);
  fs.writeFileSync(path.join(dir, "secret.key"), "s", { mode: 0o644 });
  fs.mkdirSync(path.join(dir, "pglite", "pg_wal"), { recursive: true, mode: 0o755 });
  fs.writeFileSync(path.join(dir, "pglite", "pg_wal", "000000010000000000000001"), "wal");
  fs.chmodSync(path.join(dir, "pglite", "pg_wal", "000000010000000000000001"), 0o666);
  fs.writeFileSync(path.join(dir, "pglite", "PG_VERSION"), "17", { mode: 0o600 });
  return dir;
}

describe("the embedded data directory is private to its owner", () => {
  it("an existing install: the directory becomes 0700, every file under pglite/ and Gatehouse's own files lose group and other bits", () => {
    const dir = looseInstall();
    expect(makeDataDirectoryPrivate(dir)).toBe(5); // dir, secret.key, pglite, pg_wal, the WAL segment
    expect(mode(dir)).toBe(0o700);
    expect(mode(path.join(dir, "secret.key"))).toBe(0o600);
    expect(mode(path.join(dir, "pglite"))).toBe(0o700);
    expect(mode(path.join(dir, "pglite", "pg_wal"))).toBe(0o700);
    expect(mode(path.join(dir, "pglite", "pg_wal", "000000010000000000000001"))).toBe(0o600);
    expect(mode(path.join(dir, "pglite", "PG_VERSION"))).toBe(0o600);
    expect(makeDataDirectoryPrivate(dir)).toBe(0); // nothing left to change
  });

  it("touches nothing it does not own: other files in the directory and symlink targets keep their modes", () => {
    const dir = looseInstall();
    const unrelated = path.join(dir, "notes.txt");
    fs.writeFileSync(unrelated, "x", { mode: 0o644 });
    const outside = path.join(root, `outside-${path.basename(dir)}`);
    fs.writeFileSync(outside, "x", { mode: 0o644 });
    fs.symlinkSync(outside, path.join(dir, "pglite", "link"));
    makeDataDirectoryPrivate(dir);
    expect(mode(unrelated)).toBe(0o644);
    expect(mode(outside)).toBe(0o644);
  });

  it("a new data directory is created 0700 by the lock (and its lock file is 0600)", () => {
    const dir = path.join(root, "fresh", "data");
    const lock = acquireDirectoryLock(dir);
    try {
      expect(mode(dir)).toBe(0o700);
      expect(mode(lock.path)).toBe(0o600);
    } finally {
      lock.release();
    }
  });
});
