// Maintenance commands: `node dist/cli.js migrate | seed-demo`.
import { openDatabase, describeDatabase } from "./lib/db/client";
import { bootstrapDatabase, migrateDatabase } from "./lib/db/bootstrap";
import { DEMO, seedDemoData } from "./lib/db/seed";
import { KeyEncryption } from "./lib/oauth/keyEncryption";
import { readSettings, resolveSecret } from "./lib/settings";

const usage = `Usage: node dist/cli.js <command>
  migrate     apply pending migrations (also done by every start)
  seed-demo   create the demo clients, scope and users where missing`;

async function main(command: string | undefined) {
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
    default:
      console.error(usage);
      process.exitCode = 2;
  }
}

main(process.argv[2]).catch((error) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
