// Maintenance commands: `node dist/cli.js migrate | seed-demo | keys:rotate [--alg RS256|ES256]`.
import { openDatabase, describeDatabase } from "./lib/db/client";
import { bootstrapDatabase, migrateDatabase } from "./lib/db/bootstrap";
import { rotateKeys } from "./lib/db/keyRotation";
import { DataDirectoryLockedError } from "./lib/db/lock";
import { DEMO, seedDemoData } from "./lib/db/seed";
import { KeyEncryption } from "./lib/oauth/keyEncryption";
import type { SigningAlgorithm } from "./lib/oauth/ports";
import { SUPPORTED_SIGNING_ALGORITHMS } from "./lib/oauth/signingKeys";
import { readSettings, resolveSecret } from "./lib/settings";

const usage = `Usage: node dist/cli.js <command>
  migrate     apply pending migrations (also done by every start)
  seed-demo   create the demo clients, scope and users where missing
  keys:rotate [--alg RS256|ES256]
              new active signing key per algorithm (default: both); the previous
              one stays published as retiring until its tokens have expired.
              With the embedded database, stop the server first.`;

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
        await bootstrapDatabase(db, { projectRoot: settings.projectRoot, encryption, seedDemoIfEmpty: false });
        const result = await seedDemoData(db, { adminPassword: settings.adminPassword });
        console.log(result.created.length ? `${target}: created ${result.created.join(", ")}.` : `${target}: demo data already present.`);
        if (result.adminPassword) console.log(`administrator: ${DEMO.admin.username} / ${result.adminPassword}   (shown once; keep it)`);
      } finally {
        await db.close();
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
    default:
      console.error(usage);
      process.exitCode = 2;
  }
}

main(process.argv[2], process.argv.slice(3)).catch((error) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
