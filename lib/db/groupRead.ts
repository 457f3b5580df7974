// Group read: the keys asked for while a read is in flight go together in the
// next statement (`WHERE key = ANY($1)`), the way ./groupCommit.ts shares
// inserts. Under load, concurrent requests share one round trip and one
// statement; an idle server reads a key at once, as before. Each statement is
// sent after every key in it was asked for, so each answer is at least as
// fresh as a read of its own would have been. Batching the steps a request
// waits on in turn (a code's insert, then its redemption) lost more to the
// wait than it saved, so only such single lookups use it (docs/benchmarks.md).

interface Asked<Ask, Row> {
  ask: Ask;
  waiting: { resolve: (row: Row | undefined) => void; reject: (error: unknown) => void }[];
}

/** What is asked (`Ask`: a key, or a key with what the statement needs beside it) and the row it gets. */
export class GroupRead<Ask, Row> {
  #queue = new Map<string, Asked<Ask, Row>>();
  #reading = false;

  /**
   * @param read the rows of `asks` in one statement, by keyOf(ask) (an ask without a row is left out)
   * @param maxKeys the most asks one statement takes
   * @param keyOf names an ask: asks with the same name share one place in the statement and its answer
   */
  constructor(
    private readonly read: (asks: Ask[]) => Promise<Map<string, Row>>,
    private readonly maxKeys: number,
    private readonly keyOf: (ask: Ask) => string = String,
  ) {}

  /** The row of `ask`, or undefined when there is none; rejects with the read's error when its statement failed. */
  get(ask: Ask): Promise<Row | undefined> {
    return new Promise((resolve, reject) => {
      const key = this.keyOf(ask);
      const asked = this.#queue.get(key);
      // The same key asked twice before its read: one place in the statement, two answers.
      if (asked) asked.waiting.push({ resolve, reject });
      else this.#queue.set(key, { ask, waiting: [{ resolve, reject }] });
      if (!this.#reading) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#reading = true;
    while (this.#queue.size > 0) {
      const batch = this.#takeBatch();
      try {
        const rows = await this.read([...batch.values()].map((asked) => asked.ask));
        for (const [key, asked] of batch) for (const entry of asked.waiting) entry.resolve(rows.get(key));
      } catch (error) {
        for (const asked of batch.values()) for (const entry of asked.waiting) entry.reject(error);
      }
    }
    this.#reading = false;
  }

  /** The first `maxKeys` asks in the order they came (a Map keeps insertion order). */
  #takeBatch(): Map<string, Asked<Ask, Row>> {
    const batch = new Map<string, Asked<Ask, Row>>();
    for (const [key, asked] of this.#queue) {
      if (batch.size >= this.maxKeys) break;
      batch.set(key, asked);
    }
    for (const key of batch.keys()) this.#queue.delete(key);
    return batch;
  }
}
