import os from "node:os";
import path from "node:path";
import { defineConfig } from "vitest/config";

const alias = { "@": path.resolve(import.meta.dirname) };
/** One worker per core: each integration file's server and its tests share the core, mostly waiting on each other. */
const workers = Math.max(1, os.availableParallelism());

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: { name: "unit", include: ["tests/unit/**/*.test.ts"], environment: "node", testTimeout: 20_000 },
      },
      {
        resolve: { alias },
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          environment: "node",
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // Each file starts its own server on a copy of the session's template store.
          globalSetup: ["tests/helpers/globalSetup.ts"],
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
          environment: "node",
          testTimeout: 30_000,
          hookTimeout: 60_000,
          globalSetup: ["tests/helpers/globalSetup.ts"],
          maxWorkers: workers,
        },
      },
    ],
  },
});
