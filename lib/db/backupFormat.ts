// The backup file (docs/decisions/0022-backup-restore.md): gzipped NDJSON, the same for both backends.
//   line 1        header   {"format":"gatehouse-backup","version":1,"createdAt","source","migrations":[{name,checksum}],"tables":[{name,rows}]}
//   per table     marker   {"table":"<name>","columns":[...],"rows":N}, then N lines, each one row as PostgreSQL's to_jsonb(row)
//   last line     trailer  {"end":true,"rows":<total>,"sha256":"<hex of every line before it, each with its \n>"}
// Row lines are written and restored as PostgreSQL's own JSON text, never parsed into JavaScript values
// on the way: bigint, timestamptz (microseconds), arrays and json columns come back exactly.
// The trailer and gzip's own CRC make a truncated or altered file fail before anything is restored.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { createGunzip, createGzip } from "node:zlib";

export const BACKUP_FORMAT = "gatehouse-backup";
export const BACKUP_FORMAT_VERSION = 1;

export interface BackupMigration {
  name: string;
  checksum: string;
}

export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  version: number;
  createdAt: string;
  source: "pglite" | "postgres";
  migrations: BackupMigration[];
  tables: { name: string; rows: number }[];
}

export interface BackupTable {
  name: string;
  columns: string[];
  /** Each row as PostgreSQL's JSON text of it (to_jsonb(row)::text). */
  rows: string[];
}

export class BackupFormatError extends Error {
  constructor(file: string, problem: string) {
    super(`${file} is not a complete Gatehouse backup: ${problem}. Nothing was restored.`);
    this.name = "BackupFormatError";
  }
}

/** Writes lines to FILE.tmp through gzip, then fsync and rename: FILE is either the whole backup or untouched. */
export class BackupWriter {
  private readonly temporary: string;
  private readonly gzip = createGzip();
  private readonly output: fs.WriteStream;
  private readonly done: Promise<void>;
  private readonly digest = createHash("sha256");
  private total = 0;

  constructor(readonly file: string) {
    this.temporary = `${file}.tmp`;
    // Owner-only: the backup holds password hashes and the encrypted signing keys.
    this.output = fs.createWriteStream(this.temporary, { mode: 0o600 });
    this.done = new Promise((resolve, reject) => {
      this.output.once("finish", resolve);
      this.output.once("error", reject);
      this.gzip.once("error", reject);
    });
    this.done.catch(() => undefined); // awaited by finish(); abort() alone must not leave it unhandled
    this.gzip.pipe(this.output);
  }

  private async line(text: string): Promise<void> {
    const line = `${text}\n`;
    this.digest.update(line);
    if (!this.gzip.write(line)) await new Promise((resolve) => this.gzip.once("drain", resolve));
  }

  async header(header: BackupHeader): Promise<void> {
    await this.line(JSON.stringify(header));
  }

  async table(table: BackupTable): Promise<void> {
    await this.beginTable(table.name, table.columns, table.rows.length);
    await this.rows(table.name, table.rows);
  }

  /** A table's marker; exactly `rows` rows must follow (through rows()), as the reader checks. */
  async beginTable(name: string, columns: string[], rows: number): Promise<void> {
    await this.line(JSON.stringify({ table: name, columns, rows }));
  }

  async rows(table: string, rows: string[]): Promise<void> {
    for (const row of rows) {
      if (row.includes("\n")) throw new Error(`a row of ${table} spans lines`); // to_jsonb text never does
      await this.line(row);
    }
    this.total += rows.length;
  }

  /** Ends the file with the trailer and puts it in place. */
  async finish(): Promise<void> {
    const trailer = JSON.stringify({ end: true, rows: this.total, sha256: this.digest.digest("hex") });
    this.gzip.end(`${trailer}\n`);
    await this.done;
    const fd = fs.openSync(this.temporary, "r");
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(this.temporary, this.file);
    syncDirectory(path.dirname(this.file));
  }

  /** Removes the partial file after a failure. */
  async abort(): Promise<void> {
    this.gzip.destroy();
    this.output.destroy();
    fs.rmSync(this.temporary, { force: true });
  }
}

/** Makes a rename durable (the directory entry); not every platform can open a directory, which is fine there. */
function syncDirectory(directory: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(directory, "r");
    fs.fsyncSync(fd);
  } catch {
    /* best effort */
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** What a reader hands on per table, in the file's order. */
export interface TableRows {
  name: string;
  columns: string[];
  rows: string[];
}

export interface BackupSummary {
  header: BackupHeader;
  tables: { name: string; columns: string[]; rows: number }[];
  rows: number;
}

function parseObject(file: string, text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BackupFormatError(file, `${what} is not JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new BackupFormatError(file, `${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isNameList = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === "string" && item.length > 0);

function checkHeader(file: string, value: Record<string, unknown>): BackupHeader {
  if (value.format !== BACKUP_FORMAT) throw new BackupFormatError(file, "the first line is not a Gatehouse backup header");
  if (value.version !== BACKUP_FORMAT_VERSION) {
    throw new BackupFormatError(file, `format version ${String(value.version)} (this build reads version ${BACKUP_FORMAT_VERSION})`);
  }
  const migrations = value.migrations;
  const tables = value.tables;
  if (
    typeof value.createdAt !== "string" ||
    (value.source !== "pglite" && value.source !== "postgres") ||
    !Array.isArray(migrations) ||
    !migrations.every((entry) => typeof entry?.name === "string" && typeof entry?.checksum === "string") ||
    !Array.isArray(tables) ||
    !tables.every((entry) => typeof entry?.name === "string" && isCount(entry?.rows))
  ) {
    throw new BackupFormatError(file, "the header is malformed");
  }
  return value as unknown as BackupHeader;
}

/**
 * Reads a backup from start to end, checking everything the format promises: header, one marker and
 * its row count per table in the header's order, every row a JSON object of the marker's columns, the
 * trailer's totals and digest, nothing after it. `onTable`, when given, receives each table's rows
 * (in chunks of at most `chunkRows`); a check that fails throws BackupFormatError.
 */
export async function readBackup(
  file: string,
  onTable?: (chunk: TableRows) => Promise<void>,
  chunkRows = 500,
): Promise<BackupSummary> {
  if (!fs.existsSync(file)) throw new BackupFormatError(file, "no such file");
  const gunzip = createGunzip();
  const input = fs.createReadStream(file);
  let streamError: Error | null = null;
  // A stream error (gzip's CRC, a cut-short file) ends the lines; every one is kept, none left unhandled.
  input.on("error", (error) => {
    streamError ??= error;
    gunzip.destroy(error);
  });
  gunzip.on("error", (error) => {
    streamError ??= error;
  });
  const lines = readline.createInterface({ input: input.pipe(gunzip), crlfDelay: Number.POSITIVE_INFINITY });
  // readline re-emits its input's errors, also after the loop below has stopped reading.
  lines.on("error", (error) => {
    streamError ??= error;
  });
  const digest = createHash("sha256");
  let header: BackupHeader | null = null;
  const tables: BackupSummary["tables"] = [];
  let current: { name: string; columns: Set<string>; columnList: string[]; expected: number; seen: number; chunk: string[] } | null = null;
  let total = 0;
  let trailer: Record<string, unknown> | null = null;
  let lineNumber = 0;

  const flush = async () => {
    if (current && current.chunk.length > 0) {
      const rows = current.chunk;
      current.chunk = [];
      await onTable?.({ name: current.name, columns: current.columnList, rows });
    }
  };
  const closeTable = async () => {
    if (!current) return;
    if (current.seen !== current.expected) throw new BackupFormatError(file, `table ${current.name} has ${current.seen} of its ${current.expected} rows`);
    await flush();
    current = null;
  };

  try {
    for await (const text of lines) {
      lineNumber++;
      if (trailer) throw new BackupFormatError(file, `line ${lineNumber} follows the end marker`);
      if (header === null) {
        header = checkHeader(file, parseObject(file, text, "the header"));
        digest.update(`${text}\n`);
        continue;
      }
      if (current && current.seen < current.expected) {
        const row = parseObject(file, text, `line ${lineNumber}`);
        for (const column of Object.keys(row)) {
          if (!current.columns.has(column)) throw new BackupFormatError(file, `line ${lineNumber} has a column ${column} that table ${current.name} does not list`);
        }
        digest.update(`${text}\n`);
        current.seen++;
        total++;
        current.chunk.push(text);
        if (current.chunk.length >= chunkRows) await flush();
        continue;
      }
      const entry = parseObject(file, text, `line ${lineNumber}`);
      if (entry.end === true) {
        await closeTable();
        trailer = entry;
        continue;
      }
      await closeTable();
      const expected = header.tables[tables.length];
      if (typeof entry.table !== "string" || !isNameList(entry.columns) || !isCount(entry.rows)) {
        throw new BackupFormatError(file, `line ${lineNumber} is neither a row, a table marker nor the end marker`);
      }
      if (!expected || expected.name !== entry.table || expected.rows !== entry.rows) {
        throw new BackupFormatError(file, `table ${entry.table} (line ${lineNumber}) is not the one the header lists next`);
      }
      digest.update(`${text}\n`);
      tables.push({ name: entry.table, columns: entry.columns, rows: entry.rows });
      current = { name: entry.table, columns: new Set(entry.columns), columnList: entry.columns, expected: entry.rows, seen: 0, chunk: [] };
    }
  } catch (error) {
    lines.close();
    gunzip.destroy();
    input.destroy();
    if (error instanceof BackupFormatError) throw error;
    if (streamError) throw new BackupFormatError(file, `it cannot be read (${(streamError as Error).message})`);
    throw error;
  }
  if (streamError) throw new BackupFormatError(file, `it cannot be read (${(streamError as Error).message})`);
  if (header === null) throw new BackupFormatError(file, "it is empty");
  if (!trailer) throw new BackupFormatError(file, "the end marker is missing (the file was cut short)");
  if (tables.length !== header.tables.length) throw new BackupFormatError(file, `it holds ${tables.length} of the header's ${header.tables.length} tables`);
  if (trailer.rows !== total) throw new BackupFormatError(file, `it holds ${total} rows, the end marker says ${String(trailer.rows)}`);
  if (trailer.sha256 !== digest.digest("hex")) throw new BackupFormatError(file, "its checksum does not match its contents");
  return { header, tables, rows: total };
}
