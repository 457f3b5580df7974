import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createPgliteStatementRunner, type PgliteStatementRunner } from "@/lib/db/pgliteStatements";

let pg: PGlite;
let runner: PgliteStatementRunner;

// One instance (initdb is slow); each test gets a new table and a new runner.
beforeAll(async () => {
  pg = new PGlite();
  await pg.waitReady;
}, 120_000);

afterAll(async () => {
  await pg.close();
});

beforeEach(async () => {
  await pg.exec(`
    DROP TABLE IF EXISTS things;
    CREATE TABLE things (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL UNIQUE,
      tags text[] NOT NULL DEFAULT '{}',
      payload jsonb,
      count integer,
      enabled boolean NOT NULL DEFAULT true,
      at timestamptz NOT NULL DEFAULT now()
    )`);
  runner = await createPgliteStatementRunner(pg);
});

const INSERT = `INSERT INTO things (name, tags, payload, count, at) VALUES ($1, $2, $3, $4, $5) RETURNING *`;

describe("PGlite prepared statements", () => {
  it("returns what query() returns, value types included, on first and later executions", async () => {
    const at = new Date("2026-12-07T10:00:00.123Z");
    const inserted = await runner.query(INSERT, ["a", ["x", "y"], { deep: [1, null] }, 7, at]);
    await runner.query(INSERT, ["b", [], null, null, at]);
    for (const name of ["a", "b", "a"]) {
      const viaRunner = await runner.query(`SELECT * FROM things WHERE name = $1`, [name]);
      const viaQuery = (await pg.query(`SELECT * FROM things WHERE name = $1`, [name])).rows;
      expect(viaRunner).toEqual(viaQuery);
    }
    expect(inserted).toEqual([expect.objectContaining({ name: "a", tags: ["x", "y"], payload: { deep: [1, null] }, count: 7, enabled: true, at })]);
    expect(await runner.query(`UPDATE things SET count = 1 WHERE name = $1`, ["none"])).toEqual([]);
  });

  it("throws PostgreSQL's error with its SQLSTATE and the statement, and the next execution works", async () => {
    await runner.query(INSERT, ["a", [], null, 1, new Date()]);
    const error = await runner.query(INSERT, ["a", [], null, 1, new Date()]).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "23505", query: INSERT });
    await expect(runner.query(`SELECT * FROM things WHERE id = $1::uuid`, ["not-a-uuid"])).rejects.toMatchObject({ code: "22P02" });
    await expect(runner.query(`SELEC 1`)).rejects.toMatchObject({ code: "42601" });
    expect(await runner.query(`SELECT count(*)::int AS n FROM things`)).toEqual([{ n: 1 }]);
    expect(pg.isInTransaction()).toBe(false);
  });

  it("prepares a statement again when a migration changed the rows it returns", async () => {
    await runner.query(INSERT, ["a", [], null, 1, new Date()]);
    expect(Object.keys((await runner.query<Record<string, unknown>>(`SELECT * FROM things`))[0]!)).not.toContain("extra");
    await pg.exec(`ALTER TABLE things ADD COLUMN extra text NOT NULL DEFAULT 'e'`);
    expect((await runner.query<Record<string, unknown>>(`SELECT * FROM things`))[0]).toMatchObject({ name: "a", extra: "e" });
  });

  it("never runs inside another caller's transaction: it waits for the commit", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const transaction = pg.transaction(async (tx) => {
      await tx.query(`INSERT INTO things (name) VALUES ('in-tx')`);
      await held;
      await tx.rollback();
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    let answered = false;
    const read = runner.query<{ n: number }>(`SELECT count(*)::int AS n FROM things`).then((rows) => {
      answered = true;
      return rows;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answered).toBe(false);
    release();
    await transaction;
    expect(await read).toEqual([{ n: 0 }]);
  });

  it("delivers notifications its statements send to the instance's listeners", async () => {
    const heard: string[] = [];
    await pg.listen("things_changed", (payload) => heard.push(payload));
    await runner.query(`SELECT pg_notify('things_changed', $1)`, ["a"]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(heard).toEqual(["a"]);
  });

  it("runs concurrent statements one after another, each with its own answer", async () => {
    const names = Array.from({ length: 40 }, (_, index) => `n${index}`);
    await Promise.all(names.map((name, index) => runner.query(INSERT, [name, [name], { index }, index, new Date()])));
    const rows = await Promise.all(names.map((name) => runner.query<{ name: string; count: number }>(`SELECT name, count FROM things WHERE name = $1`, [name])));
    expect(rows.map((found) => found[0])).toEqual(names.map((name, index) => ({ name, count: index })));
  });
});
