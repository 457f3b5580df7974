// `npm run migration:new -- <name>`: writes prisma/migrations/<timestamp>_<name>/migration.sql with the
// SQL that takes the database from the existing migrations to prisma/schema.prisma.
// `prisma migrate diff --from-migrations` needs a shadow database, and the PGlite adapter cannot replay
// multi-statement migrations into one; so each migration directory keeps a copy of the schema it
// produces (schema.prisma, ignored by the migration runner) and the diff starts from the latest copy.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { root } from "./ensure-build.mjs";

const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error("Usage: npm run migration:new -- <name_in_snake_case>");
  process.exit(2);
}
const migrationsDir = path.join(root, "prisma", "migrations");
const applied = fs.readdirSync(migrationsDir).filter((d) => fs.existsSync(path.join(migrationsDir, d, "migration.sql"))).sort();
const previous = path.join(migrationsDir, applied.at(-1), "schema.prisma");
if (!fs.existsSync(previous)) {
  console.error(`${path.relative(root, previous)} is missing: every migration keeps the schema it produced.`);
  process.exit(1);
}
const sql = execFileSync(
  path.join(root, "node_modules/.bin/prisma"),
  ["migrate", "diff", "--from-schema-datamodel", previous, "--to-schema-datamodel", "prisma/schema.prisma", "--script"],
  { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
);
if (!/\b(CREATE|ALTER|DROP)\b/.test(sql)) {
  console.log("prisma/schema.prisma matches the last migration: nothing to write.");
} else {
  const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
  const dir = path.join(migrationsDir, `${stamp}_${name}`);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "migration.sql"), sql);
  fs.copyFileSync(path.join(root, "prisma", "schema.prisma"), path.join(dir, "schema.prisma"));
  console.log(`wrote ${path.relative(root, dir)}/migration.sql (and the schema it produces, for the next diff)`);
}
