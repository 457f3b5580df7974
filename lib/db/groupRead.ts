// Group read: the keys asked for while a read is in flight go together in the
// next statement (`WHERE key = ANY($1)`), the way ./groupCommit.ts shares
// inserts. Under load, concurrent requests share one round trip and one
// statement; an idle server reads a key at once, as before. Each statement is
// sent after every key in it was asked for, so each answer is at least as
// fresh as a read of its own would have been. Batching the steps a request
// waits on in turn (a code's insert, then its redemption) lost more to the
// wait than it saved, so only such single lookups use it (docs/benchmarks.md).

interface Waiting<Row> {
  resolve: (row: Row | undefined) => void;
  reject: (error: unknown) => void;
}

export class GroupRead<Row> {
  #queue = new Map<string, Waiting<Row>[]>();
  #reading = false;

  /**
   * @param read the rows of `keys` in one statement, by key (a key without a row is left out)
   * @param maxKeys the most keys one statement takes
   */
  constructor(
    private readonly read: (keys: string[]) => Promise<Map<string, Row>>,
    private readonly maxKeys: number,
  ) {}

  /** The row of `key`, or undefined when there is none; rejects with the read's error when its statement failed. */
  get(key: string): Promise<Row | undefined> {
    return new Promise((resolve, reject) => {
      const waiting = this.#queue.get(key);
      // The same key asked twice before its read: one place in the statement, two answers.
      if (waiting) waiting.push({ resolve, reject });
      else this.#queue.set(key, [{ resolve, reject }]);
      if (!this.#reading) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#reading = true;
    while (this.#queue.size > 0) {
      const batch = this.#takeBatch();
      try {
        const rows = await this.read([...batch.keys()]);
        for (const [key, waiting] of batch) for (const entry of waiting) entry.resolve(rows.get(key));
      } catch (error) {
        for (const waiting of batch.values()) for (const entry of waiting) entry.reject(error);
      }
    }
    this.#reading = false;
  }

  /** The first `maxKeys` keys in the order they were asked for (a Map keeps insertion order). */
  #takeBatch(): Map<string, Waiting<Row>[]> {
    const batch = new Map<string, Waiting<Row>[]>();
    for (const [key, waiting] of this.#queue) {
      if (batch.size >= this.maxKeys) break;
      batch.set(key, waiting);
    }
    for (const key of batch.keys()) this.#queue.delete(key);
    return batch;
  }
}
