// Prisma CLI configuration. The CLI must never try to download engines here:
// engine "js" with a driver adapter (an in-memory PGlite) keeps generate,
// validate, format and `migrate diff` fully offline. Migrations are applied
// at run time by lib/db/migrate.ts, not by `prisma migrate deploy`.
import { defineConfig } from "prisma/config";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";

// The CLI falls back to its library engine (a download) when DATABASE_URL is unset.
process.env.DATABASE_URL ??= "postgresql://placeholder@localhost/placeholder";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  engine: "js",
  experimental: { adapter: true },
  adapter: async () => new PrismaPGlite(new PGlite()),
});
