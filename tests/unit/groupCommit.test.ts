import { describe, expect, it } from "vitest";
import { GroupCommit } from "@/lib/db/groupCommit";

/** A write that holds each batch until released, recording what it was given. */
function heldWriter() {
  const batches: number[][] = [];
  const releases: ((error?: Error) => void)[] = [];
  const write = (rows: number[]) =>
    new Promise<void>((resolve, reject) => {
      batches.push(rows);
      releases.push((error) => (error ? reject(error) : resolve()));
    });
  return { batches, releases, write };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe("GroupCommit", () => {
  it("writes at once when idle, and everything handed in meanwhile together in the next statement", async () => {
    const { batches, releases, write } = heldWriter();
    const group = new GroupCommit<number>(write, 100);
    const first = group.add([1]);
    const others = [group.add([2, 3]), group.add([4]), group.add([5])];
    await settled();
    expect(batches).toEqual([[1]]);
    releases[0]!();
    await first;
    await settled();
    expect(batches).toEqual([[1], [2, 3, 4, 5]]);
    releases[1]!();
    await Promise.all(others);
  });

  it("answers no caller before its own rows are written", async () => {
    const { releases, write } = heldWriter();
    const group = new GroupCommit<number>(write, 100);
    let done = false;
    void group.add([1]).then(() => (done = true));
    await settled();
    expect(done).toBe(false);
    releases[0]!();
    await settled();
    expect(done).toBe(true);
  });

  it("keeps each caller's rows in one batch and a batch within its bound", async () => {
    const { batches, releases, write } = heldWriter();
    const group = new GroupCommit<number>(write, 3);
    const all = [group.add([0]), group.add([1, 2]), group.add([3, 4]), group.add([5, 6, 7, 8]), group.add([9])];
    for (let i = 0; i < 5; i++) {
      await settled();
      releases[i]!();
    }
    await Promise.all(all);
    // [3, 4] does not fit after [1, 2]; a caller with more than the bound gets a batch of its own.
    expect(batches).toEqual([[0], [1, 2], [3, 4], [5, 6, 7, 8], [9]]);
  });

  it("fails exactly the callers of a failed batch, and goes on with the next", async () => {
    const { releases, write } = heldWriter();
    const group = new GroupCommit<number>(write, 100);
    const first = group.add([1]);
    const second = group.add([2]);
    const third = group.add([3]);
    await settled();
    releases[0]!();
    await first;
    await settled();
    releases[1]!(new Error("database gone"));
    await expect(second).rejects.toThrow("database gone");
    await expect(third).rejects.toThrow("database gone");
    const fourth = group.add([4]);
    await settled();
    releases[2]!();
    await expect(fourth).resolves.toBeUndefined();
  });

  it("flush resolves at once when idle, and after every batch handed in so far (failed ones included) otherwise", async () => {
    const { releases, write } = heldWriter();
    const group = new GroupCommit<number>(write, 1);
    await group.flush();
    const first = group.add([1]);
    const second = group.add([2]).catch(() => "failed");
    let flushed = false;
    const flushing = group.flush().then(() => (flushed = true));
    await settled();
    releases[0]!();
    await first;
    await settled();
    expect(flushed).toBe(false); // the second batch is still being written
    releases[1]!(new Error("database gone"));
    await flushing;
    expect(await second).toBe("failed");
    expect(flushed).toBe(true);
  });
});
