// What every start does under the startup lock: migrate, make sure the
// standard scopes and signing keys exist, (embedded default, demo data
// allowed) seed demo data into an empty database, refuse demo data where it is
// not allowed, and open a one-time setup link while there is no administrator.
import path from "node:path";
import type { KeyEncryption } from "../oauth/keyEncryption";
import { ensureSigningKeys } from "../oauth/signingKeys";
import type { Database } from "./client";
import { applyMigrations, loadMigrations, withStartupLock, type MigrationResult } from "./migrate";
import { createSigningKeyStore } from "./repositories";
import { checkDemoDataPolicy, findDemoData, isDatabaseEmpty, seedDemoData, type DemoSeedOptions, type DemoSeedResult } from "./seed";
import { issueSetupToken } from "./setupTokens";
import { STANDARD_SCOPES } from "./standardScopes";

export interface BootstrapOptions {
  projectRoot: string;
  encryption: KeyEncryption;
  /** Seed demo data, with these options, when the database holds no clients and no users; null: never. */
  seedDemoIfEmpty: DemoSeedOptions | null;
  /**
   * The server's start: refuse demo data outside a loopback issuer unless
   * GATEHOUSE_DEMO=1 (DemoDataRefusedError), and report what is present.
   */
  demoPolicy?: { issuer: string; demo: boolean };
  /** Open a one-time /setup link when no enabled administrator exists. */
  issueSetupLink?: boolean;
}

export interface BootstrapReport {
  migrations: MigrationResult;
  createdKeys: string[];
  demoSeed: DemoSeedResult | null;
  /** Demo records present after the start (e.g. "client postman"); empty when none or not checked. */
  demoPresent: string[];
  /** The setup link's token when one was opened (no administrator yet). */
  setupToken: { token: string; expiresAt: Date } | null;
}

export async function migrateDatabase(db: Database, projectRoot: string): Promise<MigrationResult> {
  const migrations = loadMigrations(path.join(projectRoot, "prisma", "migrations"));
  return db.withSqlSession((session) => withStartupLock(session, () => applyMigrations(session, migrations)));
}

export async function ensureStandardScopes(db: Database): Promise<void> {
  for (const scope of STANDARD_SCOPES) {
    await db.prisma.scope.upsert({ where: { name: scope.name }, create: scope, update: {} });
  }
}

export async function bootstrapDatabase(db: Database, options: BootstrapOptions): Promise<BootstrapReport> {
  const migrations = loadMigrations(path.join(options.projectRoot, "prisma", "migrations"));
  return db.withSqlSession((session) =>
    withStartupLock(session, async () => {
      const migrated = await applyMigrations(session, migrations);
      await ensureStandardScopes(db);
      const createdKeys = await ensureSigningKeys(createSigningKeyStore(db.prisma), options.encryption);
      let demoSeed: DemoSeedResult | null = null;
      if (options.seedDemoIfEmpty && (await isDatabaseEmpty(db))) {
        demoSeed = await seedDemoData(db, options.seedDemoIfEmpty);
      }
      let demoPresent: string[] = [];
      if (options.demoPolicy) {
        demoPresent = await findDemoData(db);
        checkDemoDataPolicy(options.demoPolicy, demoPresent);
      }
      const setupToken = options.issueSetupLink ? await issueSetupToken(db.sql) : null;
      return { migrations: migrated, createdKeys, demoSeed, demoPresent, setupToken };
    }),
  );
}
