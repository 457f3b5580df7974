// Group commit: rows handed in while a write is in flight are written
// together by the next statement. Under load, concurrent requests share one
// round trip and one statement's planning; every caller still waits until its
// own rows are stored (or the write failed), so nothing acknowledged is lost.
// A caller's rows always travel in one batch, so they are written together.

interface Pending<Row> {
  rows: readonly Row[];
  done: (error?: unknown) => void;
}

export class GroupCommit<Row> {
  #queue: Pending<Row>[] = [];
  #writing = false;
  /** The write loop under way, if any: it runs until the queue is empty. */
  #draining: Promise<void> | null = null;

  /**
   * @param write stores one batch in one statement
   * @param maxRows the most rows one batch takes (a caller with more still gets one batch of its own)
   */
  constructor(
    private readonly write: (rows: Row[]) => Promise<void>,
    private readonly maxRows: number,
  ) {}

  /** Resolves once `rows` are stored; rejects with the write's error when their batch failed. */
  add(rows: readonly Row[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ rows, done: (error) => (error === undefined ? resolve() : reject(error)) });
      if (!this.#writing) this.#draining = this.#drain();
    });
  }

  /** Resolves once every row handed in so far is written or its batch failed (the shutdown waits for it). */
  flush(): Promise<void> {
    return this.#draining ?? Promise.resolve();
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    while (this.#queue.length > 0) {
      const batch = this.#takeBatch();
      try {
        await this.write(batch.flatMap((entry) => entry.rows));
        for (const entry of batch) entry.done();
      } catch (error) {
        for (const entry of batch) entry.done(error);
      }
    }
    this.#writing = false;
    this.#draining = null;
  }

  #takeBatch(): Pending<Row>[] {
    let rows = this.#queue[0]!.rows.length;
    let count = 1;
    while (count < this.#queue.length && rows + this.#queue[count]!.rows.length <= this.maxRows) {
      rows += this.#queue[count]!.rows.length;
      count += 1;
    }
    return this.#queue.splice(0, count);
  }
}
