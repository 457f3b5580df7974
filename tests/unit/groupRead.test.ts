// lib/db/groupRead.ts: concurrent lookups share statements; every caller gets its own key's row.
import { describe, expect, it } from "vitest";
import { GroupRead } from "@/lib/db/groupRead";

/** A read that records its batches and answers after `release()` (or at once when `hold` is false). */
function recordingRead(rows: Record<string, number>, hold = true) {
  const batches: string[][] = [];
  const pending: (() => void)[] = [];
  const read = (keys: string[]) => {
    batches.push(keys);
    const answer = new Map(keys.filter((key) => key in rows).map((key) => [key, rows[key]!]));
    if (!hold) return Promise.resolve(answer);
    return new Promise<Map<string, number>>((resolve) => pending.push(() => resolve(answer)));
  };
  const release = async () => {
    while (pending.length) pending.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { read, batches, release };
}

describe("GroupRead", () => {
  it("an idle reader reads a key at once, alone", async () => {
    const { read, batches } = recordingRead({ a: 1 }, false);
    const reader = new GroupRead(read, 10);
    expect(await reader.get("a")).toBe(1);
    expect(batches).toEqual([["a"]]);
  });

  it("keys asked while a read is in flight share the next statement; each caller gets its own row, a missing key undefined", async () => {
    const { read, batches, release } = recordingRead({ a: 1, b: 2, c: 3 });
    const reader = new GroupRead(read, 10);
    const first = reader.get("a");
    const rest = [reader.get("b"), reader.get("missing"), reader.get("c")];
    await release();
    await release();
    expect(await first).toBe(1);
    expect(await Promise.all(rest)).toEqual([2, undefined, 3]);
    expect(batches).toEqual([["a"], ["b", "missing", "c"]]);
  });

  it("a key asked twice takes one place in the statement and answers both callers", async () => {
    const { read, batches, release } = recordingRead({ a: 1, b: 2 });
    const reader = new GroupRead(read, 10);
    const first = reader.get("a");
    const twice = [reader.get("b"), reader.get("b")];
    await release();
    await release();
    expect(await first).toBe(1);
    expect(await Promise.all(twice)).toEqual([2, 2]);
    expect(batches[1]).toEqual(["b"]);
  });

  it("no statement takes more than maxKeys keys; the rest follow in order", async () => {
    const rows = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`k${i}`, i]));
    const { read, batches, release } = recordingRead(rows);
    const reader = new GroupRead(read, 3);
    const answers = Array.from({ length: 7 }, (_, i) => reader.get(`k${i}`));
    for (let i = 0; i < 4; i++) await release();
    expect(await Promise.all(answers)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(batches).toEqual([["k0"], ["k1", "k2", "k3"], ["k4", "k5", "k6"]]);
  });

  it("a failed statement rejects the callers of that batch only; the next batch is read", async () => {
    let calls = 0;
    const reader = new GroupRead<number>(async (keys) => {
      calls += 1;
      if (calls === 2) throw new Error("connection lost");
      return new Map(keys.map((key) => [key, key.length]));
    }, 2);
    const a = reader.get("a");
    const failed = [reader.get("bb"), reader.get("ccc")];
    const after = reader.get("dddd");
    expect(await a).toBe(1);
    for (const answer of failed) await expect(answer).rejects.toThrow("connection lost");
    expect(await after).toBe(4);
  });
});
