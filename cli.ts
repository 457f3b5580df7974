// Maintenance commands: `node dist/cli.js migrate | seed-demo | create-admin | keys:rotate [--alg RS256|ES256]
// | plan FILE [--prune] | apply FILE [--prune] | backup FILE | restore FILE [--force] | migrate-to-postgres [--to URL]`.
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { hashPassword } from "./lib/auth/passwords";
import { insertAuditEvents } from "./lib/db/audit";
import { openDatabase, describeDatabase, type DatabaseOptions } from "./lib/db/client";
import { bootstrapDatabase, migrateDatabase } from "./lib/db/bootstrap";
import { BackupFormatError } from "./lib/db/backupFormat";
import { checkBackupFile, createBackup, restoreBackup, RestoreRefusedError, type RestoreReport } from "./lib/db/backup";
import { loadMigrations } from "./lib/db/migrate";
import { rotateKeys } from "./lib/db/keyRotation";
import { DataDirectoryLockedError } from "./lib/db/lock";
import { DEMO, demoDataAllowed, seedDemoData } from "./lib/db/seed";
import { createAdministrator } from "./lib/db/userAdmin";
import { adminAccountSchema } from "./lib/forms/setupForm";
import { applyPlan, configActor, configOperationContext, readStoredState } from "./lib/management/configApply";
import { parseConfigFile, resolveClientSecrets, type ConfigProblem } from "./lib/management/configFile";
import { describeChange, describePlan, planChanges, storedStateProblems } from "./lib/management/configPlan";
import { KeyEncryption } from "./lib/oauth/keyEncryption";
import type { SigningAlgorithm } from "./lib/oauth/ports";
import { SUPPORTED_SIGNING_ALGORITHMS } from "./lib/oauth/signingKeys";
import { readSettings, resolveSecret, storedEmbeddedSecret, type Settings } from "./lib/settings";
import { webhookEventSelector } from "./lib/webhooks/delivery";

/** The CLI's audit events are enqueued for webhooks like the server's; a running server's next poll sends them (decision 0023). */
function webhookOutbox(settings: Settings) {
  return settings.webhooks ? { selects: webhookEventSelector(settings.webhooks.events), enqueued: () => undefined } : null;
}

const usage = `Usage: node dist/cli.js <command>
  migrate     apply pending migrations (also done by every start)
  seed-demo   create the demo clients, scope and users where missing
  create-admin [--username NAME] [--email ADDRESS] [--name "FULL NAME"]
              create an administrator; asks for the password on a terminal,
              otherwise reads it from the first line of stdin.
              With the embedded database, stop the server first.
  keys:rotate [--alg RS256|ES256]
              new active signing key per algorithm (default: both); the previous
              one stays published as retiring until its tokens have expired.
              With the embedded database, stop the server first.
  plan FILE [--prune]
              what applying the config file FILE (JSON: clients and scopes) would
              change; changes nothing. Exit 2 listing every problem of an invalid file.
  apply FILE [--prune]
              make the clients and scopes match FILE through the management
              operations (audited as config:<file name>); deletes clients and scopes
              not in the file only with --prune. Secrets come from the environment
              variables the file names (client_secret_env).
              With the embedded database, stop the server first.
  backup FILE  a consistent copy of every table (gzipped NDJSON) written to FILE;
              FILE is replaced only once the copy is complete. It does not hold
              GATEHOUSE_SECRET: keep that secret too, the signing keys need it.
              With the embedded database, stop the server first.
  restore FILE [--force]
              restores a backup into an empty database (either backend), in one
              transaction; GATEHOUSE_SECRET must be the backed-up install's secret.
              --force deletes everything in a non-empty database first (in the
              same transaction). With the embedded database, stop the server first.
  migrate-to-postgres [--to URL]
              copies the embedded database (GATEHOUSE_DATA_DIR) into an empty
              PostgreSQL database (--to, else DATABASE_URL) and prints the
              GATEHOUSE_SECRET to set there. Stop the server first.`;

class UsageError extends Error {}

function parseAlgs(args: string[]): SigningAlgorithm[] | undefined {
  let algs: SigningAlgorithm[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = arg === "--alg" ? args[++i] : arg.startsWith("--alg=") ? arg.slice("--alg=".length) : null;
    if (value === null) throw new UsageError(`Unknown argument "${arg}".`);
    if (!SUPPORTED_SIGNING_ALGORITHMS.includes(value as SigningAlgorithm)) {
      throw new UsageError(`--alg must be ${SUPPORTED_SIGNING_ALGORITHMS.join(" or ")}; got "${value ?? ""}".`);
    }
    algs = [...(algs ?? []), value as SigningAlgorithm];
  }
  return algs;
}

/** --name value or --name=value flags; anything else is a usage error. */
function parseFlags(args: string[], allowed: readonly string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const match = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (!match || !allowed.includes(match[1]!)) throw new UsageError(`Unknown argument "${arg}".`);
    const value = match[2] ?? args[++i];
    if (value === undefined) throw new UsageError(`--${match[1]} needs a value.`);
    flags[match[1]!] = value;
  }
  return flags;
}

/** Reads one line from the terminal; `hidden` echoes nothing (for passwords). */
async function ask(question: string, hidden = false): Promise<string> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  if (hidden) {
    // Print the question, then swallow the echo of what is typed.
    const output = rl as unknown as { _writeToOutput: (text: string) => void };
    process.stdout.write(question);
    output._writeToOutput = () => undefined;
  }
  try {
    return await new Promise<string>((resolve) => rl.question(hidden ? "" : question, resolve));
  } finally {
    rl.close();
    if (hidden) process.stdout.write("\n");
  }
}

/** The first line of stdin (a pipe or a file), without its line ending. */
async function readFirstLineOfStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (Buffer.concat(chunks).includes(10)) break;
  }
  return Buffer.concat(chunks).toString("utf8").split(/\r?\n/)[0] ?? "";
}

/** Opens the database for a command that must write; on PGlite, says to stop the server when it holds the directory. */
async function openForWriting(options: DatabaseOptions, what: string) {
  return openDatabase(options).catch((error: unknown) => {
    if (error instanceof DataDirectoryLockedError) {
      error.message += ` To ${what} on the embedded database: stop the server, run the command, start the server again.`;
    }
    throw error;
  });
}

async function createAdminCommand(args: string[]): Promise<void> {
  const flags = parseFlags(args, ["username", "email", "name"]);
  const interactive = process.stdin.isTTY === true;
  const username = flags.username ?? (interactive ? await ask("Username: ") : "");
  const email = flags.email ?? (interactive ? await ask("Email (optional): ") : "");
  let password: string;
  if (interactive) {
    password = await ask("Password (at least 12 characters): ", true);
    const again = await ask("Password again: ", true);
    if (again !== password) throw new UsageError("The two passwords do not match.");
  } else {
    password = await readFirstLineOfStdin();
  }
  const parsed = adminAccountSchema.safeParse({ username, email, name: flags.name ?? "", password });
  if (!parsed.success) {
    throw new UsageError(parsed.error.issues.map((issue) => `${issue.path.join(".") || "input"}: ${issue.message}`).join("\n"));
  }
  const settings = readSettings();
  const target = describeDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir });
  const db = await openForWriting({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir, poolSize: 2 }, "create an administrator");
  try {
    await migrateDatabase(db, settings.projectRoot);
    const account = parsed.data;
    const result = await createAdministrator(db, {
      username: account.username,
      email: account.email === "" ? null : account.email,
      name: account.name,
      emailVerified: false,
      passwordHash: await hashPassword(account.password),
      setupToken: null,
    });
    if (result.status === "conflict") throw new UsageError(`Another user already has this ${result.field === "username" ? "username" : "email address"}.`);
    if (result.status !== "created") throw new Error(`could not create the administrator (${result.status})`);
    await insertAuditEvents(
      db.sql,
      [
        {
          kind: "admin.user.created",
          actor: null,
          userId: result.user.id,
          details: { username: result.user.username, email: result.user.email, roles: result.user.roles, via: "cli" },
        },
      ],
      webhookOutbox(settings),
    );
    console.log(`${target}: administrator ${result.user.username} created; open setup links closed. Sign in at ${settings.issuer}/login`);
  } finally {
    await db.close();
  }
}

/** FILE and --prune; anything else is a usage error. */
function parseConfigArgs(command: string, args: string[]): { file: string; prune: boolean } {
  const files = args.filter((arg) => !arg.startsWith("--"));
  const unknown = args.filter((arg) => arg.startsWith("--") && arg !== "--prune");
  if (unknown.length > 0) throw new UsageError(`Unknown argument "${unknown[0]}".`);
  if (files.length !== 1) throw new UsageError(`${command} needs one config file: ${command} FILE [--prune].`);
  return { file: files[0]!, prune: args.includes("--prune") };
}

class InvalidConfigError extends Error {
  constructor(file: string, problems: readonly ConfigProblem[]) {
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    super(`${file}: ${count}; nothing was changed.\n${problems.map((problem) => `  ${problem.path}: ${problem.message}`).join("\n")}`);
    this.name = "InvalidConfigError";
  }
}

/** `plan FILE` and `apply FILE` (docs/decisions/0021-config-as-code.md). */
async function configCommand(command: "plan" | "apply", args: string[]): Promise<void> {
  const { file, prune } = parseConfigArgs(command, args);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`Cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  // Everything the file and the environment can get wrong is found before the store is opened.
  const parsed = parseConfigFile(text);
  if (!parsed.ok) throw new InvalidConfigError(file, parsed.problems);
  const secrets = resolveClientSecrets(parsed.value, process.env);
  if (!secrets.ok) throw new InvalidConfigError(file, secrets.problems);

  const settings = readSettings();
  const target = describeDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir });
  const db = await openForWriting({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir, poolSize: 2 }, `${command} a config file`);
  try {
    if (command === "apply") await migrateDatabase(db, settings.projectRoot);
    const stored = await readStoredState(db);
    const problems = storedStateProblems(parsed.value, stored);
    if (problems.length > 0) throw new InvalidConfigError(file, problems);
    const plan = planChanges(parsed.value, stored, secrets.value, { prune });
    if (command === "plan" || plan.changes.length === 0) {
      console.log(`${target}: ${command === "plan" ? "plan for" : "applying"} ${file}`);
      for (const line of describePlan(plan)) console.log(line);
      return;
    }
    const context = configOperationContext(db, configActor(path.basename(file)), (events) => insertAuditEvents(db.sql, events, webhookOutbox(settings)));
    console.log(`${target}: applying ${file}`);
    const applied = await applyPlan(context, plan, secrets.value);
    for (const { change, refused } of applied) console.log(`${describeChange(change)}${refused ? `: REFUSED: ${refused}` : ""}`);
    const done = (action: string) => applied.filter(({ change, refused }) => change.action === action && !refused).length;
    const refusals = applied.filter(({ refused }) => refused).length;
    console.log(
      `Applied: ${done("create")} created, ${done("update")} updated, ${done("delete")} deleted, ${plan.unchanged} unchanged` +
        `${refusals ? `; ${refusals} refused (see above)` : ""}.`,
    );
    for (const line of describePlan({ ...plan, changes: [] }).slice(1)) console.log(line);
    if (refusals) process.exitCode = 1;
  } finally {
    await db.close();
  }
}

/** The secret an install runs with, without generating one: GATEHOUSE_SECRET, else (embedded) data/secret.key. */
function configuredSecret(settings: Settings, embedded: boolean): string | null {
  return settings.secret ?? (embedded ? storedEmbeddedSecret(settings.dataDir) : null);
}

function printTables(report: { tables: { name: string; rows: number }[] }): void {
  console.log(`  ${report.tables.map((table) => `${table.name} ${table.rows}`).join(", ")}`);
}

async function backupCommand(settings: Settings, target: string, args: string[]): Promise<void> {
  if (args.length !== 1 || args[0]!.startsWith("--")) throw new UsageError(`backup takes one argument, the file to write.\n${usage}`);
  const file = path.resolve(args[0]!);
  const db = await openForWriting({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir, poolSize: 2 }, "back up");
  try {
    const report = await createBackup(db, file);
    console.log(`${target}: ${report.rows} rows of ${report.tables.length} tables (${report.migrations} migrations) written to ${file}`);
    printTables(report);
    console.log(
      `The backup does not contain GATEHOUSE_SECRET: its ${report.signingKeys} signing key(s) decrypt only with the secret of this install ` +
        `(${settings.secret ? "GATEHOUSE_SECRET" : path.join(settings.dataDir, "secret.key")}). Keep that secret, separately from the backup.`,
    );
  } finally {
    await db.close();
  }
}

function restoreArguments(args: string[]): { file: string; force: boolean } {
  const files = args.filter((arg) => !arg.startsWith("--"));
  const flags = args.filter((arg) => arg.startsWith("--"));
  const unknown = flags.filter((flag) => flag !== "--force");
  if (files.length !== 1 || unknown.length) throw new UsageError(`restore takes the backup file and optionally --force.\n${usage}`);
  return { file: path.resolve(files[0]!), force: flags.includes("--force") };
}

function printRestored(target: string, file: string, report: RestoreReport): void {
  console.log(`${target}: ${report.emptied ? "emptied, then " : ""}restored ${report.rows} rows of ${report.tables.length} tables from ${file}`);
  printTables(report);
  console.log(`${report.signingKeys} signing key(s) decrypt with the configured secret.`);
}

async function restoreCommand(settings: Settings, target: string, args: string[]): Promise<void> {
  const { file, force } = restoreArguments(args);
  const migrations = loadMigrations(path.join(settings.projectRoot, "prisma", "migrations"));
  // The whole file is checked before the database is opened: a bad file changes nothing.
  const { summary, backupMigrations } = await checkBackupFile(file, migrations);
  const secret = configuredSecret(settings, !settings.databaseUrl);
  const keys = summary.tables.find((table) => table.name === "signing_keys")?.rows ?? 0;
  if (keys > 0 && !secret) {
    throw new RestoreRefusedError(
      `The backup's ${keys} signing key(s) are encrypted with the secret of the Gatehouse that made it: set GATEHOUSE_SECRET to that secret ` +
        "(its GATEHOUSE_SECRET, or the contents of its data/secret.key) and run restore again. Nothing was restored.",
    );
  }
  const db = await openForWriting({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir, poolSize: 2 }, "restore");
  try {
    const report = await restoreBackup(db, file, backupMigrations, { migrations, force, encryption: secret ? new KeyEncryption(secret) : null });
    printRestored(target, file, report);
    if (!settings.databaseUrl && settings.secret && storedEmbeddedSecret(settings.dataDir) === null) {
      console.log("Start the server with this same GATEHOUSE_SECRET: the data directory has no secret.key of its own.");
    }
  } finally {
    await db.close();
  }
}

function migrateToPostgresArguments(settings: Settings, args: string[]): string {
  const flags = parseFlags(args, ["to"]);
  const url = flags.to ?? settings.databaseUrl;
  if (!url) throw new UsageError("migrate-to-postgres needs the PostgreSQL database: --to postgresql://… or DATABASE_URL.");
  if (!/^postgres(ql)?:\/\//.test(url)) throw new UsageError("--to must be a postgres:// or postgresql:// URL.");
  return url;
}

async function migrateToPostgresCommand(settings: Settings, args: string[]): Promise<void> {
  const url = migrateToPostgresArguments(settings, args);
  const source = describeDatabase({ dataDir: settings.dataDir });
  const target = describeDatabase({ databaseUrl: url, dataDir: settings.dataDir });
  if (!fs.existsSync(path.join(settings.dataDir, "pglite"))) throw new UsageError(`There is no embedded database to move: ${source} does not exist.`);
  const secret = configuredSecret(settings, true);
  const migrations = loadMigrations(path.join(settings.projectRoot, "prisma", "migrations"));
  // A backup of the embedded store, beside it (the data directory is owner-only), removed afterwards.
  const file = path.join(settings.dataDir, `migrate-to-postgres-${process.pid}.backup.gz`);
  try {
    const embedded = await openForWriting({ dataDir: settings.dataDir }, "move the embedded database");
    try {
      await migrateDatabase(embedded, settings.projectRoot);
      await createBackup(embedded, file);
    } finally {
      await embedded.close();
    }
    const { backupMigrations } = await checkBackupFile(file, migrations);
    const postgres = await openDatabase({ databaseUrl: url, dataDir: settings.dataDir, poolSize: 2 });
    try {
      const report = await restoreBackup(postgres, file, backupMigrations, { migrations, force: false, encryption: secret ? new KeyEncryption(secret) : null });
      printRestored(target, source, report);
    } finally {
      await postgres.close();
    }
  } finally {
    fs.rmSync(file, { force: true });
    fs.rmSync(`${file}.tmp`, { force: true });
  }
  console.log(
    `\nThe embedded database in ${settings.dataDir} is unchanged. Run every Gatehouse instance on PostgreSQL with:\n` +
      `  DATABASE_URL=${url}\n` +
      `  GATEHOUSE_SECRET=${secret ?? "(none: the embedded install had no secret yet)"}\n` +
      "The signing keys decrypt only with this GATEHOUSE_SECRET; keep it secret.",
  );
}

/** The exit code for a refusal the operator can act on (2, with the message alone); anything else is rethrown. */
function refused(error: unknown): boolean {
  if (!(error instanceof UsageError || error instanceof BackupFormatError || error instanceof RestoreRefusedError)) return false;
  console.error(error.message);
  process.exitCode = 2;
  return true;
}

async function main(command: string | undefined, args: string[]) {
  const settings = readSettings();
  const target = describeDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir });
  switch (command) {
    case "migrate": {
      const db = await openDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir, poolSize: 2 });
      try {
        const result = await migrateDatabase(db, settings.projectRoot);
        console.log(
          `${target}: ${result.applied.length} migration(s) applied${result.applied.length ? ` (${result.applied.join(", ")})` : ""}, ${result.alreadyApplied} already applied.`,
        );
      } finally {
        await db.close();
      }
      return;
    }
    case "seed-demo": {
      const encryption = new KeyEncryption(resolveSecret(settings));
      const db = await openDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir, poolSize: 2 });
      try {
        await bootstrapDatabase(db, { projectRoot: settings.projectRoot, encryption, seedDemoIfEmpty: null });
        const result = await seedDemoData(db, { hashPassword, adminPassword: settings.adminPassword });
        console.log(result.created.length ? `${target}: created ${result.created.join(", ")}.` : `${target}: demo data already present.`);
        if (result.adminPassword) console.log(`administrator: ${DEMO.admin.username} / ${result.adminPassword}   (shown once; keep it)`);
        if (!demoDataAllowed(settings)) {
          console.log(`${settings.issuer} is not a loopback issuer: the server starts with this demo data only with GATEHOUSE_DEMO=1.`);
        }
      } finally {
        await db.close();
      }
      return;
    }
    case "create-admin": {
      try {
        await createAdminCommand(args);
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        console.error(error.message);
        process.exitCode = 2;
      }
      return;
    }
    case "keys:rotate": {
      let algs: SigningAlgorithm[] | undefined;
      try {
        algs = parseAlgs(args);
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        console.error(`${error.message}\n${usage}`);
        process.exitCode = 2;
        return;
      }
      const encryption = new KeyEncryption(resolveSecret(settings));
      // PGlite: this fails with DataDirectoryLockedError while a server holds the data directory.
      const db = await openDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir, poolSize: 2 }).catch((error: unknown) => {
        if (error instanceof DataDirectoryLockedError) {
          error.message += " To rotate keys on the embedded database: stop the server, run keys:rotate, start the server again.";
        }
        throw error;
      });
      try {
        await migrateDatabase(db, settings.projectRoot);
        const report = await rotateKeys(db, {
          encryption,
          algs,
          accessTokenLifetime: settings.accessTokenLifetime,
          keyRefreshSeconds: settings.keyRefreshSeconds,
        });
        for (const key of report.created) console.log(`${target}: new active ${key.alg} key ${key.kid}`);
        console.log(
          report.retiring.length
            ? `retiring (published, no longer signing) until ${report.retireAfter.toISOString()}: ${report.retiring.join(", ")}`
            : "no previous active key to retire",
        );
        if (report.retired.length) console.log(`retired (removed from the JWKS): ${report.retired.join(", ")}`);
        console.log(
          `Running servers pick up the new key within GATEHOUSE_KEY_REFRESH_SECONDS (${settings.keyRefreshSeconds} s here); ` +
            `longest token lifetime ${report.longestLifetime} s.`,
        );
      } finally {
        await db.close();
      }
      return;
    }
    case "plan":
    case "apply": {
      try {
        await configCommand(command, args);
      } catch (error) {
        if (!(error instanceof UsageError || error instanceof InvalidConfigError)) throw error;
        console.error(error instanceof UsageError ? `${error.message}\n${usage}` : error.message);
        process.exitCode = 2;
      }
      return;
    }
    case "backup":
      await backupCommand(settings, target, args).catch((error: unknown) => {
        if (!refused(error)) throw error;
      });
      return;
    case "restore":
      await restoreCommand(settings, target, args).catch((error: unknown) => {
        if (!refused(error)) throw error;
      });
      return;
    case "migrate-to-postgres":
      await migrateToPostgresCommand(settings, args).catch((error: unknown) => {
        if (!refused(error)) throw error;
      });
      return;
    default:
      console.error(usage);
      process.exitCode = 2;
  }
}

main(process.argv[2], process.argv.slice(3)).catch((error) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
