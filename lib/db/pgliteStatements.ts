// Parameterised SQL on the embedded database at one WebAssembly call per
// statement. PGlite's query() sends Parse, Describe, Bind, Describe, Execute
// and Sync as six separate calls into PostgreSQL and parses and plans the text
// every time; a CPU profile under token load had that at ~1 ms of main-thread
// time per statement (docs/benchmarks.md, issue #12). Here each distinct text
// is parsed once into a named prepared statement (PostgreSQL then plans it
// once it settles on a generic plan, as on a pooled PostgreSQL connection), and
// every execution is Bind + Execute + Sync in one message.
import type { messages, PGlite } from "@electric-sql/pglite";

type Protocol = typeof import("@electric-sql/pglite").protocol;
type ParseResults = typeof import("@electric-sql/pglite").parse.parseResults;
type BackendMessage = messages.BackendMessage;
type RowDescription = messages.RowDescriptionMessage;

interface PreparedStatement {
  name: string;
  /** Parameter types PostgreSQL inferred: each value goes through PGlite's serializer for its type, as query() does. */
  paramTypes: number[];
  /** The row shape, or null for a statement that returns no rows. */
  rowDescription: RowDescription | null;
}

/** Statement texts are the hot paths' fixed SQL; the bound guards against SQL built from data (those fall back to query()). */
const MAX_PREPARED = 500;

/** SQLSTATEs after which a cached statement is dropped and prepared again: it no longer exists, or its row shape changed (a migration). */
const STALE_STATEMENT = new Set(["26000", "0A000"]);

export interface PgliteStatementRunner {
  query<Row>(sql: string, params?: unknown[]): Promise<Row[]>;
}

/** Prepared statements live in the instance's one session: one runner (and one cache of names) per instance. */
const runners = new WeakMap<PGlite, PgliteStatementRunner>();

export async function createPgliteStatementRunner(pglite: PGlite): Promise<PgliteStatementRunner> {
  const { protocol, parse } = await import("@electric-sql/pglite");
  let runner = runners.get(pglite);
  if (!runner) {
    runner = new StatementRunner(pglite, protocol, parse.parseResults);
    runners.set(pglite, runner);
  }
  return runner;
}

class StatementRunner implements PgliteStatementRunner {
  readonly #prepared = new Map<string, PreparedStatement>();
  #nextName = 0;

  constructor(
    private readonly pglite: PGlite,
    private readonly protocol: Protocol,
    private readonly parseResults: ParseResults,
  ) {}

  async query<Row>(sql: string, params: unknown[] = []): Promise<Row[]> {
    if (!this.#prepared.has(sql) && this.#prepared.size >= MAX_PREPARED) {
      return (await this.pglite.query<Row>(sql, params)).rows;
    }
    // The same two locks as query(): never inside another caller's transaction (Prisma's included), never interleaved.
    return this.pglite._runExclusiveTransaction(() =>
      this.pglite._runExclusiveQuery(async () => {
        try {
          return await this.#run<Row>(sql, params);
        } catch (error) {
          if (!STALE_STATEMENT.has((error as { code?: string }).code ?? "")) throw error;
          this.#prepared.delete(sql);
          return this.#run<Row>(sql, params);
        }
      }),
    );
  }

  async #run<Row>(sql: string, params: unknown[]): Promise<Row[]> {
    const statement = this.#prepared.get(sql) ?? (await this.#prepare(sql));
    const serialize = this.protocol.serialize;
    const values = params.map((value, index) => {
      if (value === null || value === undefined) return null;
      const serializer = this.pglite.serializers[statement.paramTypes[index]!];
      return serializer ? serializer(value) : String(value);
    });
    const message = concat([serialize.bind({ statement: statement.name, values: values as (string | null)[] }), serialize.execute({}), serialize.sync()]);
    const messages = await this.#exec(message, sql, params);
    const described: BackendMessage[] = statement.rowDescription ? [statement.rowDescription, ...messages] : messages;
    return this.parseResults(described, this.pglite.parsers)[0]!.rows as Row[];
  }

  async #prepare(sql: string): Promise<PreparedStatement> {
    const name = `gh_${(this.#nextName++).toString(36)}`;
    const serialize = this.protocol.serialize;
    const messages = await this.#exec(concat([serialize.parse({ name, text: sql }), serialize.describe({ type: "S", name }), serialize.sync()]), sql, []);
    let paramTypes: number[] = [];
    let rowDescription: RowDescription | null = null;
    for (const message of messages) {
      if (message.name === "parameterDescription") paramTypes = (message as messages.ParameterDescriptionMessage).dataTypeIDs;
      else if (message.name === "rowDescription") rowDescription = message as RowDescription;
    }
    const statement = { name, paramTypes, rowDescription };
    this.#prepared.set(sql, statement);
    return statement;
  }

  /** One round into PostgreSQL; its errors carry the statement and parameters, like query()'s. */
  async #exec(message: Uint8Array, sql: string, params: unknown[]): Promise<BackendMessage[]> {
    try {
      return await this.pglite.execProtocolStream(message, { syncToFs: true });
    } catch (error) {
      if (error && typeof error === "object" && "code" in error) Object.assign(error, { query: sql, params });
      throw error;
    }
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const joined = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}
