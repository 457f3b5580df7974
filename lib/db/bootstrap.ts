// What every start does under the startup lock: migrate, make sure the
// standard scopes and signing keys exist, and (embedded default) seed demo data
// into an empty database.
import path from "node:path";
import type { KeyEncryption } from "../oauth/keyEncryption";
import { ensureSigningKeys } from "../oauth/signingKeys";
import type { Database } from "./client";
import { applyMigrations, loadMigrations, withStartupLock, type MigrationResult } from "./migrate";
import { createSigningKeyStore } from "./repositories";
import { isDatabaseEmpty, seedDemoData, type DemoSeedResult } from "./seed";
import { STANDARD_SCOPES } from "./standardScopes";

export interface BootstrapOptions {
  projectRoot: string;
  encryption: KeyEncryption;
  /** Seed demo data when the database holds no clients and no users. */
  seedDemoIfEmpty: boolean;
  adminPassword?: string;
}

export interface BootstrapReport {
  migrations: MigrationResult;
  createdKeys: string[];
  demoSeed: DemoSeedResult | null;
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
        demoSeed = await seedDemoData(db, { adminPassword: options.adminPassword });
      }
      return { migrations: migrated, createdKeys, demoSeed };
    }),
  );
}
