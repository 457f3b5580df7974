// The embedded database is created in a child process (its initdb memory goes with it) and opened with
// 32 MB shared buffers (lib/db/pgliteMemory.ts; the RSS figures are in docs/benchmarks.md).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { openDatabase } from "@/lib/db/client";
import { createDatabaseInChildProcess, isNewDatabaseDirectory } from "@/lib/db/pgliteMemory";

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-pglite-memory-"));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Every entry under `dir` with group or other bits. */
function notOwnerOnly(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((entry) => (fs.lstatSync(entry).mode & 0o077) !== 0);
}

describe("creating the embedded database outside this process", () => {
  it("a directory the child cannot use is an error naming it, not a hang", { timeout: 60_000 }, async () => {
    const file = path.join(root, "not-a-directory");
    fs.writeFileSync(file, "x");
    await expect(createDatabaseInChildProcess(file)).rejects.toThrow(/creating the embedded database in .*not-a-directory failed/);
  });

  // One creation for both checks: each initdb costs seconds of CPU.
  it("openDatabase on a new data directory: a child process creates it, this process opens it owner-only, quietly, with 32 MB shared buffers", { timeout: 120_000 }, async () => {
    const dataDir = fs.mkdtempSync(path.join(root, "data-"));
    const databaseDirectory = path.join(dataDir, "pglite");
    expect(isNewDatabaseDirectory(databaseDirectory)).toBe(true);
    const warn = vi.spyOn(console, "warn");
    const db = await openDatabase({ dataDir });
    expect(isNewDatabaseDirectory(databaseDirectory)).toBe(false);
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
    expect(notOwnerOnly(dataDir)).toEqual([]);
    try {
      const [row] = await db.sql.query<{ shared_buffers: string }>("show shared_buffers");
      expect(row!.shared_buffers).toBe("32MB");
      expect((await db.sql.query<{ n: number }>("select 1 as n"))[0]!.n).toBe(1);
    } finally {
      await db.close();
    }
    expect(notOwnerOnly(dataDir)).toEqual([]);
  });
});
