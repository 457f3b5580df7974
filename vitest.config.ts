import os from "node:os";
import path from "node:path";
import { defineConfig } from "vitest/config";
import { TEST_NODE_OPTIONS } from "./scripts/test-templates.mjs";
import { BOTH_BACKENDS_FILES, POSTGRES_ONLY_FILES } from "./tests/helpers/integrationBackends";
import LongestFirstSequencer from "./tests/helpers/longestFirstSequencer";

const alias = { "@": path.resolve(import.meta.dirname) };
/** One worker per core: each integration file's server and its tests share the core, mostly waiting on each other. */
const workers = Math.max(1, os.availableParallelism());

export default defineConfig({
  resolve: { alias },
  test: {
    // Longest files first across projects (npm test runs the server suites in one run on two workers).
    sequence: { sequencer: LongestFirstSequencer },
    projects: [
      {
        resolve: { alias },
        test: {
          name: "unit",
          // The store tests' in-memory PGlite compiled by V8's baseline compiler only: less CPU for runs
          // this short (TEST_NODE_OPTIONS, scripts/test-templates.mjs; 71 against 75-86 s of user CPU here).
          execArgv: TEST_NODE_OPTIONS,
          include: ["tests/unit/**/*.test.ts"],
          environment: "node",
          testTimeout: 20_000,
          // One migrated in-memory PGlite, dumped once, that the store tests' databases start from.
          globalSetup: ["tests/helpers/globalSetupUnit.ts"],
          maxWorkers: workers,
          // The files share their worker's process and module graph instead of a new process each:
          // half the CPU of the unit run (2026-12-07: 85 s against 160 s user+sys). Nothing a file
          // does to the process outlives it: mocks, stubbed env and globals are undone after each test.
          isolate: false,
          restoreMocks: true,
          unstubEnvs: true,
          unstubGlobals: true,
        },
      },
      {
        resolve: { alias },
        test: {
          // Over HTTP on the embedded PGlite: every file but those that run on PostgreSQL only.
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          exclude: POSTGRES_ONLY_FILES,
          env: { GATEHOUSE_TEST_BACKEND: "pglite" },
          environment: "node",
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // A file starts its own server on a copy of the session's template store, or borrows its
          // worker slot's shared one (tests/helpers/sharedServer.ts).
          globalSetup: ["tests/helpers/globalSetupPglite.ts"],
          maxWorkers: workers,
        },
      },
      {
        resolve: { alias },
        test: {
          // On PostgreSQL: the files whose behaviour depends on the store, and those that read it while the server runs.
          name: "integration-postgres",
          include: [...BOTH_BACKENDS_FILES, ...POSTGRES_ONLY_FILES],
          env: { GATEHOUSE_TEST_BACKEND: "postgres" },
          environment: "node",
          testTimeout: 30_000,
          hookTimeout: 60_000,
          globalSetup: ["tests/helpers/globalSetupPostgres.ts"],
          maxWorkers: workers,
        },
      },
      {
        resolve: { alias },
        test: {
          // Long fault and load tests (kill -9, fuzzing, two instances): `npm run test:faults`, also run by .ci/run.
          name: "faults",
          include: ["tests/faults/**/*.test.ts"],
          environment: "node",
          testTimeout: 300_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        resolve: { alias },
        test: {
          name: "interop",
          include: ["tests/interop/**/*.test.ts"],
          env: { GATEHOUSE_TEST_BACKEND: "pglite" },
          environment: "node",
          testTimeout: 30_000,
          hookTimeout: 60_000,
          globalSetup: ["tests/helpers/globalSetupPglite.ts"],
          maxWorkers: workers,
        },
      },
    ],
  },
});
