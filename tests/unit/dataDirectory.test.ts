import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PGlite } from "@electric-sql/pglite";
import { NodeFS } from "@electric-sql/pglite/nodefs";
import { makeDataDirectoryPrivate, ownerOnlyFileSystem } from "@/lib/db/dataDirectory";
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

/** Entries under `directory` (itself included) with group or other bits. */
function exposed(directory: string): string[] {
  const found: string[] = [];
  const visit = (entry: string) => {
    const stat = fs.lstatSync(entry);
    if (stat.mode & 0o077) found.push(`${path.relative(directory, entry)} ${(stat.mode & 0o777).toString(8)}`);
    if (stat.isDirectory()) for (const name of fs.readdirSync(entry)) visit(path.join(entry, name));
  };
  visit(directory);
  return found;
}

describe("PGlite's own files", () => {
  it("every file and directory PGlite creates is owner-only, at creation and as the database grows (new WAL segments, tables)", { timeout: 120_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(root, "pglite-"));
    fs.chmodSync(dir, 0o700);
    const pglite = await PGlite.create({ fs: ownerOnlyFileSystem(NodeFS, dir) });
    try {
      expect(exposed(dir)).toEqual([]);
      // About 25 MB: a second 16 MB WAL segment, new relation files.
      await pglite.exec("create table filler (text text); insert into filler select repeat('x', 1000) from generate_series(1, 25000);");
      await pglite.exec("checkpoint");
    } finally {
      await pglite.close();
    }
    expect(fs.readdirSync(path.join(dir, "pg_wal")).filter((name) => /^[0-9A-F]{24}$/.test(name)).length).toBeGreaterThan(1);
    expect(exposed(dir)).toEqual([]);
  });
});
